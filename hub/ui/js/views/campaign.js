/** A campaign's aggregated path graph: every traced path folded into provider → provider edges. */
import { api } from '../api.js';
import { h, replace, table } from '../dom.js';
import { counts } from '../format.js';
import { drawGraph } from '../graph.js';

export async function show(main, { name }, page) {
  const body = h('div');
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/campaigns' }, 'Campaigns')),
    h('h1', { tabindex: -1 }, `Campaign ${name}`),
    body,
  );
  let shown = '';
  const load = async () => {
    const g = await api(`/v1/campaigns/${encodeURIComponent(name)}/graph`);
    const seen = JSON.stringify(g);
    if (seen !== shown) render(body, g, name);
    shown = seen;
    return g;
  };
  const g = await load();
  if (g.outcomes.open) page.every(2000, load);
}

function render(body, g, name) {
  if (!g.tracebacks) {
    replace(body, h('p', {}, 'No traceback of this campaign is visible to this token.'));
    return;
  }
  replace(
    body,
    h('p', {}, `${g.tracebacks} traceback(s): ${counts(g.outcomes)}. `, h('a', { href: `#/tracebacks?campaign=${encodeURIComponent(name)}` }, 'List them')),
    h('div', { class: 'scroll' }, drawGraph(g, `Paths of campaign ${name}`)),
    table(
      'Calls handed from provider to provider',
      ['From (upstream)', 'To', 'Calls', 'How those tracebacks ended'],
      g.edges.map((e) => [e.from, e.to, String(e.calls), counts(e.outcomes)]),
    ),
    table(
      'Where the tracebacks ended',
      ['Provider', 'Tracebacks through it', 'Ended here'],
      g.providers.map((p) => [p.id, String(p.calls), counts(p.ended)]),
    ),
  );
}

/**
 * The providers scoreboard: each registered provider with how it answers. Non-responsive counts come from the
 * hub's report (every traceback); response times from the tracebacks this token can see.
 */
import { api } from '../api.js';
import { h, replace, table } from '../dom.js';
import { duration } from '../format.js';
import { scoreboard } from '../scoreboard.js';

export async function show(main) {
  const [{ providers }, { tracebacks }, silent] = await Promise.all([
    api('/v1/providers'),
    api('/v1/tracebacks?limit=1000'),
    api('/v1/reports/non-responsive').then((r) => r.rows, () => []),
  ]);
  const scores = new Map(scoreboard(tracebacks).map((r) => [r.provider, r]));
  const nonResponsive = new Map(silent.map((r) => [r.provider, r]));
  const rows = providers
    .map((p) => ({ p, s: scores.get(p.id), n: nonResponsive.get(p.id) }))
    .sort((a, b) => (b.n?.count ?? 0) - (a.n?.count ?? 0) || (b.s?.asked ?? 0) - (a.s?.asked ?? 0) || a.p.id.localeCompare(b.p.id));
  const ms = (v) => (v === undefined ? '—' : duration(v));
  replace(
    main,
    h('h1', { tabindex: -1 }, 'Providers'),
    h('p', {}, `Response times are measured over the ${tracebacks.length} traceback(s) you can see; non-responsive counts cover every traceback on the hub.`),
    table(
      `${providers.length} registered provider(s)`,
      ['Provider', 'Name', 'Reached by', 'Hops asked', 'Answered', 'Median answer', '90th percentile', 'Non-responsive', 'Last non-responsive'],
      rows.map(({ p, s, n }) => [
        h('code', {}, p.id),
        [p.name, p.provisional ? ' (provisional)' : '', p.foreign ? ' (foreign)' : '', p.gateway ? ' (gateway)' : ''].join(''),
        p.reach === 'manual' ? 'a person' : p.reach === 'agent-push' ? 'agent (push)' : 'agent (pull)',
        String(s?.asked ?? 0),
        String(s?.answered ?? 0),
        ms(s?.p50Ms),
        ms(s?.p90Ms),
        h('span', { class: n?.count ? 'warn' : '' }, String(n?.count ?? 0)),
        n ? new Date(n.last).toISOString().slice(0, 10) : '—',
      ]),
      { class: 'scoreboard' },
    ),
  );
}

/** The tracebacks list: status, outcome, age and hops of each, filtered by status or campaign; refreshes while open cases remain. */
import { api } from '../api.js';
import { field, h, replace, table } from '../dom.js';
import { age, outcomeText, shortId, STATUSES, statusLabel } from '../format.js';

export async function show(main, _params, page) {
  const status = page.query.get('status') ?? '';
  const campaign = page.query.get('campaign') ?? '';
  const statusSelect = h('select', { id: 'filter-status', name: 'status' }, h('option', { value: '' }, 'Any'), STATUSES.map((s) => h('option', { value: s, selected: s === status }, statusLabel(s))));
  const campaignInput = h('input', { id: 'filter-campaign', name: 'campaign', value: campaign, autocomplete: 'off' });
  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter tracebacks', onsubmit: (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      if (statusSelect.value) q.set('status', statusSelect.value);
      if (campaignInput.value.trim()) q.set('campaign', campaignInput.value.trim());
      window.location.hash = `#/tracebacks${q.size ? `?${q}` : ''}`;
    } },
    field('Status', statusSelect),
    field('Campaign', campaignInput),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const results = h('div', { id: 'tracebacks' });
  replace(main, h('h1', { tabindex: -1 }, 'Tracebacks'), h('p', {}, h('a', { href: '#/trace', class: 'button' }, 'Start a trace')), filters, results);

  const q = new URLSearchParams({ limit: '200' });
  if (status) q.set('status', status);
  if (campaign) q.set('campaign', campaign);
  let shown = '';
  const load = async () => {
    const { tracebacks } = await api(`/v1/tracebacks?${q}`);
    // Redraw only on a change: a redraw would take the keyboard focus away from a link in the table.
    const seen = tracebacks.map((c) => `${c.id}:${c.rev}`).join();
    if (seen === shown) return;
    shown = seen;
    tracebacks.sort((a, b) => b.createdAt - a.createdAt);
    replace(results, tracebacks.length ? list(tracebacks) : h('p', {}, 'No tracebacks match.'));
  };
  await load();
  page.every(2000, load);
}

function list(cases) {
  const open = cases.filter((c) => c.status === 'open').length;
  return table(
    `${cases.length} traceback(s), ${open} open`,
    ['Traceback', 'Call', 'Status', 'Outcome', 'Hops', 'Age', 'Campaign'],
    cases.map((c) => [
      h('a', { href: `#/tracebacks/${encodeURIComponent(c.id)}`, 'aria-label': `Traceback ${shortId(c.id)}, ${c.call.calling} to ${c.call.called}` }, shortId(c.id)),
      `${c.call.calling} → ${c.call.called}`,
      h('span', { class: `status ${c.status}` }, statusLabel(c.status)),
      outcomeText(c),
      String(c.hops.length),
      h('time', { datetime: new Date(c.createdAt).toISOString() }, age(c.createdAt)),
      c.campaign ? h('a', { href: `#/campaigns/${encodeURIComponent(c.campaign)}` }, c.campaign) : '',
    ]),
    { class: 'list' },
  );
}

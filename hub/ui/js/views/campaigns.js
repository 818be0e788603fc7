/** The campaigns found among the tracebacks this token can see, and a way to open one by name. */
import { api } from '../api.js';
import { field, h, replace, table } from '../dom.js';
import { age, counts } from '../format.js';

export async function show(main) {
  const { tracebacks } = await api('/v1/tracebacks?limit=1000');
  const byName = new Map();
  for (const c of tracebacks) {
    if (!c.campaign) continue;
    const row = byName.get(c.campaign) ?? byName.set(c.campaign, { name: c.campaign, n: 0, outcomes: {}, last: 0 }).get(c.campaign);
    row.n++;
    row.outcomes[c.status] = (row.outcomes[c.status] ?? 0) + 1;
    row.last = Math.max(row.last, c.createdAt);
  }
  const rows = [...byName.values()].sort((a, b) => b.last - a.last);
  const name = h('input', { id: 'campaign-name', name: 'campaign', required: true, autocomplete: 'off' });
  replace(
    main,
    h('h1', { tabindex: -1 }, 'Campaigns'),
    h('form', { class: 'filters', onsubmit: (e) => {
      e.preventDefault();
      if (name.value.trim()) window.location.hash = `#/campaigns/${encodeURIComponent(name.value.trim())}`;
    } }, field('Campaign name', name), h('button', { type: 'submit' }, 'Open')),
    rows.length
      ? table(
          `${rows.length} campaign(s)`,
          ['Campaign', 'Tracebacks', 'Outcomes', 'Last started'],
          rows.map((r) => [h('a', { href: `#/campaigns/${encodeURIComponent(r.name)}` }, r.name), String(r.n), counts(r.outcomes), age(r.last)]),
        )
      : h('p', {}, 'No campaign among the tracebacks you can see yet.'),
  );
}

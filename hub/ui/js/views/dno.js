/**
 * The hub's DNO master list: its size per category, search for a number (which entries cover it and who put
 * them there), the first entries, the change history, and adding or removing entries (dno:write).
 */
import { api, ApiError } from '../api.js';
import { announce, field, h, replace, table } from '../dom.js';
import { utc } from '../format.js';

const CATEGORIES = ['listed', 'invalid', 'unallocated', 'unassigned'];

export async function show(main) {
  const summary = h('div');
  const found = h('div', { id: 'dno-found' });
  const entries = h('div');
  const history = h('div');
  const refresh = async () => {
    const [s, e, hst] = await Promise.all([api('/v1/dno'), api('/v1/dno/entries?limit=100'), api('/v1/dno/history?limit=20')]);
    replace(summary, h('p', {}, `Version ${s.version}: ${s.total} entr${s.total === 1 ? 'y' : 'ies'} (${CATEGORIES.map((c) => `${c} ${s.counts[c] ?? 0}`).join(', ')}).`));
    replace(entries, entriesTable(`The first ${e.entries.length} entries`, e.entries));
    replace(history, historyTable(hst.rows));
  };

  const target = h('input', { id: 'dno-search', name: 'target', required: true, autocomplete: 'off', inputmode: 'tel' });
  const search = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Search the DNO list', onsubmit: async (e) => {
      e.preventDefault();
      try {
        const r = await api(`/v1/dno/entries?target=${encodeURIComponent(target.value.trim())}`);
        replace(found, r.entries.length ? entriesTable(`Entries for ${target.value.trim()}`, r.entries) : h('p', { role: 'status' }, `${target.value.trim()} is on no list.`));
      } catch (err) {
        replace(found, h('p', { class: 'error', role: 'alert' }, err.message));
      }
    } },
    field('Number, prefix or range', target, 'e.g. +12025550100, +1900* or +12025550100-+12025550199'),
    h('button', { type: 'submit' }, 'Search'),
  );

  replace(
    main,
    h('h1', { tabindex: -1 }, 'DNO list'),
    summary,
    h('h2', {}, 'Search'),
    search,
    found,
    h('h2', {}, 'Change the list'),
    h('p', { class: 'hint' }, 'Needs a token with the dno:write role. Agents pick changes up within seconds.'),
    h('div', { class: 'columns' }, addForm(refresh), removeForm(refresh)),
    h('h2', {}, 'Entries'),
    entries,
    h('h2', {}, 'History'),
    history,
  );
  await refresh();
}

/** '+1900*' → prefix, 'a-b' → range, else a number. */
function entryOf(text, category, reason) {
  const t = text.trim();
  const range = t.match(/^(\+\d+)-(\+\d+)$/);
  const target = t.endsWith('*') ? { prefix: t.slice(0, -1) } : range ? { range: { from: range[1], to: range[2] } } : { number: t };
  return { ...target, category, ...(reason && { reason }) };
}

function targetText(e) {
  return e.number ?? (e.prefix !== undefined ? `${e.prefix}*` : `${e.range.from}-${e.range.to}`);
}

function addForm(refresh) {
  const status = h('p', { role: 'status' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'dno-add-title', onsubmit: async (e) => {
      e.preventDefault();
      const v = (id) => form.querySelector(`#${id}`).value.trim();
      const body = { entries: [entryOf(v('dno-add-target'), v('dno-add-category'), v('dno-add-reason'))], ...(v('dno-add-why') && { why: v('dno-add-why') }) };
      await change(status, () => api('/v1/dno/entries', { method: 'POST', body }), 'Added', refresh);
    } },
    h('h3', { id: 'dno-add-title' }, 'Add'),
    field('Number, prefix or range', h('input', { id: 'dno-add-target', required: true, autocomplete: 'off' })),
    field('Category', h('select', { id: 'dno-add-category' }, CATEGORIES.map((c) => h('option', { value: c }, c)))),
    field('Reason (optional)', h('input', { id: 'dno-add-reason', autocomplete: 'off' })),
    field('Why (for the history, optional)', h('input', { id: 'dno-add-why', autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Add to the list'),
    status,
  );
  return form;
}

function removeForm(refresh) {
  const status = h('p', { role: 'status' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'dno-remove-title', onsubmit: async (e) => {
      e.preventDefault();
      const v = (id) => form.querySelector(`#${id}`).value.trim();
      const body = { targets: [v('dno-remove-target')], ...(v('dno-remove-why') && { why: v('dno-remove-why') }) };
      await change(status, () => api('/v1/dno/removals', { method: 'POST', body }), 'Removed', refresh);
    } },
    h('h3', { id: 'dno-remove-title' }, 'Remove'),
    field('Number, prefix or range', h('input', { id: 'dno-remove-target', required: true, autocomplete: 'off' }), 'Add ",category" to remove it from one category only.'),
    field('Why (for the history, optional)', h('input', { id: 'dno-remove-why', autocomplete: 'off' })),
    h('button', { type: 'submit', class: 'danger' }, 'Remove from the list'),
    status,
  );
  return form;
}

async function change(status, call, verb, refresh) {
  try {
    const r = await call();
    replace(status, `${verb}: the list is now at version ${r.version}.`);
    announce(status.textContent);
    await refresh();
  } catch (err) {
    const why = err instanceof ApiError && err.status === 403 ? 'this token lacks the dno:write role' : err.message;
    replace(status, h('span', { class: 'error' }, `Not changed: ${why}`), err.problems?.length ? h('ul', {}, err.problems.map((p) => h('li', {}, `${p.text}: ${p.reason}`))) : null);
  }
}

function entriesTable(caption, views) {
  return table(
    caption,
    ['Number, prefix or range', 'Category', 'Reason', 'Added in version', 'By', 'When', 'Why'],
    views.map((v) => [h('code', {}, targetText(v.entry)), v.entry.category, v.entry.reason ?? '', String(v.version), v.who ?? '', v.when ? utc(v.when) : '', v.why ?? '']),
    { class: 'dno-entries' },
  );
}

function historyTable(rows) {
  return rows.length
    ? table(
        'Changes, newest first',
        ['Version', 'Change', 'Added', 'Removed', 'By', 'When', 'Why', 'Sample'],
        rows.map((r) => [String(r.version), `${r.what.op}${r.what.file ? ` ${r.what.file}` : ''}`, String(r.what.added), String(r.what.removed), r.who, utc(r.when), r.why ?? '', r.what.sample.slice(0, 3).join('; ') + (r.what.sample.length > 3 ? '…' : '')]),
        { class: 'dno-history' },
      )
    : h('p', {}, 'No change yet.');
}

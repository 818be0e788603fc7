/**
 * One traceback: the call, how it ended, its path drawn as SVG, every hop in a table, the evidence download
 * and (while open) cancel. Refreshes until the case ends.
 */
import { api, ApiError, download } from '../api.js';
import { announce, h, replace, table } from '../dom.js';
import { duration, hopTook, outcomeText, shortId, statusLabel, utc } from '../format.js';
import { drawPath, pathModel } from '../path.js';

export async function show(main, { id }, page) {
  let kase;
  try {
    kase = await api(`/v1/tracebacks/${encodeURIComponent(id)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(main, h('h1', { tabindex: -1 }, 'No such traceback'), h('p', {}, `The hub has no traceback ${id} that this token may read.`));
      return;
    }
    throw err;
  }
  const body = h('div');
  replace(main, h('p', { class: 'crumbs' }, h('a', { href: '#/tracebacks' }, 'Tracebacks')), h('h1', { tabindex: -1 }, `Traceback ${shortId(kase.id)}`), body);
  render(body, kase);
  if (kase.status !== 'open') return;
  page.every(1000, async () => {
    const next = await api(`/v1/tracebacks/${encodeURIComponent(id)}`);
    if (next.rev === kase.rev) return;
    kase = next;
    render(body, kase);
    if (kase.status !== 'open') {
      page.stopRefresh();
      announce(`Traceback ended: ${statusLabel(kase.status)}`);
    }
  });
}

function render(body, c) {
  const evidence = h('button', { type: 'button', onclick: () => download(`/v1/tracebacks/${encodeURIComponent(c.id)}/evidence`, `traceback-${c.id}-evidence.json`).catch((err) => announceError(body, err)) }, 'Download evidence (signed JSON)');
  const actions = h('div', { class: 'actions' }, evidence, c.status === 'open' ? cancelButton(body, c) : null);
  replace(
    body,
    h(
      'dl',
      { class: 'facts' },
      fact('Status', h('span', { class: `status ${c.status}`, id: 'case-status' }, statusLabel(c.status))),
      fact('Outcome', outcomeText(c)),
      fact('Call', `${c.call.calling} → ${c.call.called} at ${utc(c.call.at)}`),
      fact('Started', utc(c.createdAt)),
      c.endedAt !== undefined ? fact('Took', duration(c.endedAt - c.createdAt)) : null,
      c.campaign ? fact('Campaign', h('a', { href: `#/campaigns/${encodeURIComponent(c.campaign)}` }, c.campaign)) : null,
      c.shaken ? fact('STIR/SHAKEN', `${c.shaken.attest} attestation signed by ${c.shaken.signer} (${c.shaken.provider}); path ${c.shaken.path ?? 'not decided yet'}`) : null,
      fact('Id', h('code', {}, c.id)),
    ),
    actions,
    h('h2', {}, 'Path'),
    h('div', { class: 'scroll' }, drawPath(pathModel(c), `Path of traceback ${shortId(c.id)}`)),
    h('h2', {}, 'Hops'),
    hopsTable(c),
  );
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

function hopsTable(c) {
  return table(
    'Each hop, from the terminating provider upstream',
    ['#', 'Provider', 'Asked by', 'How', 'Answer', 'Named', 'Source', 'Call seen at', 'Answered in', 'Attempts'],
    c.hops.map((hop, i) => {
      const m = hop.answer?.matches?.[0];
      const named = m?.upstream ? (m.upstream.providerId ?? m.upstream.name) : m?.customer ? `customer ${[m.customer.account, m.customer.name].filter(Boolean).join(', ')}` : '';
      const took = hopTook(hop);
      return [
        String(i + 1),
        hop.provider,
        hop.askedBy ?? '(trace started here)',
        hop.mode === 'manual' ? `by hand${hop.answeredBy ? ` (${hop.answeredBy.name})` : ''}` : 'agent',
        hop.answer?.result ?? hop.state,
        named,
        m?.source ?? '',
        m ? utc(m.at) : '',
        took !== undefined ? duration(took) : '',
        `${hop.attempts.length}${hop.attempts.some((a) => a.timedOut) ? ' (timed out)' : ''}`,
      ];
    }),
    { class: 'hops' },
  );
}

function cancelButton(body, c) {
  return h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: async () => {
        if (!window.confirm('Cancel this traceback? It ends as cancelled and asks nobody further.')) return;
        try {
          render(body, await api(`/v1/tracebacks/${encodeURIComponent(c.id)}/cancel`, { method: 'POST', body: {} }));
          announce('Traceback cancelled');
        } catch (err) {
          announceError(body, err);
        }
      },
    },
    'Cancel traceback',
  );
}

function announceError(body, err) {
  body.prepend(h('p', { class: 'error', role: 'alert' }, err.message));
}

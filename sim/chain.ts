/**
 * A traceback as the demo prints it: the path in the direction the call travelled, then each hop with how
 * its carrier knew the call (SIP or which CDR format), the time its records gave, how long its answer took,
 * and what it answered. Pure.
 */
import type { Case, Hop } from '../hub/case.js';

const OUTCOME_WORDS: Readonly<Record<string, string>> = {
  originated: 'ORIGINATED',
  foreign: 'FOREIGN',
  not_found: 'NOT FOUND',
  non_responsive: 'NON-RESPONSIVE',
  loop: 'LOOP',
  cancelled: 'CANCELLED',
  open: 'OPEN',
};

export function formatChain(c: Case, title: string): string {
  const took = c.endedAt !== undefined ? `${c.endedAt - c.createdAt} ms` : 'still open';
  const lines = [`${title}  ${c.call.calling} → ${c.call.called}   ${OUTCOME_WORDS[c.status] ?? c.status}: ${ending(c)}  · ${c.hops.length} hop(s) in ${took}`];
  lines.push(`    ${[origin(c), ...c.hops.map((h) => h.provider).reverse()].join(' ─▶ ')}`);
  c.hops.forEach((h, i) => lines.push(`    hop ${i + 1}  ${hopLine(h)}`));
  return lines.join('\n');
}

function ending(c: Case): string {
  if (c.status === 'originated') {
    const customer = c.hops.at(-1)?.answer?.matches[0]?.customer;
    return `at ${c.originator}${customer ? `, customer ${[customer.account, customer.name].filter(Boolean).join(' ')}` : ''}`;
  }
  if (c.status === 'foreign') return `point of entry ${c.pointOfEntry}`;
  return c.detail ?? '';
}

/** Where the call came from, as the last answer tells it. */
function origin(c: Case): string {
  const m = c.hops.at(-1)?.answer?.matches[0];
  if (m?.customer) return m.customer.name ?? m.customer.account ?? 'a customer';
  if (m?.upstream && c.status !== 'open') return m.upstream.name;
  return '?';
}

function hopLine(h: Hop): string {
  const m = h.answer?.matches[0];
  const first = h.attempts[0];
  const answerMs = h.answeredAt !== undefined && first ? `${h.answeredAt - first.sentAt} ms` : '—';
  const seen = m ? new Date(m.at).toISOString().slice(11, 23) : '—';
  const said = !h.answer
    ? h.state
    : m?.upstream
      ? `${h.answer.result} ${m.upstream.providerId ?? `"${m.upstream.name}"`}`
      : m?.customer
        ? `${h.answer.result}: customer ${m.customer.account ?? m.customer.name}`
        : h.answer.result;
  const retries = h.attempts.length > 1 ? `  (${h.attempts.length} attempts, windows ${h.attempts.map((a) => `±${a.windowSec}s`).join(', ')})` : '';
  return `${h.provider.padEnd(11)} ${(m?.source ?? '').padEnd(19)} call at ${seen}   answered in ${answerMs.padStart(7)}   ${said}${retries}`;
}

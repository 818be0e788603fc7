/**
 * Provider notices (issue 9): what an ended case asks of the providers it names, and the request a manual hop
 * makes of a provider's people. A notice names the case and the call, says what is asked, and carries only what
 * that provider needs to act (never the other providers' answers: CPNI is shared for the call in question, with
 * whom it concerns). Pure.
 */
import type { Match } from '../../proto/messages.js';
import { type Case, type CaseCall, type CaseKind, caseKind, type CaseStatus } from '../case.js';
import { namedUpstream } from '../engine.js';

type Customer = NonNullable<Match['customer']>;

export type NoticeReason = 'originator' | 'point-of-entry' | 'non-responsive';

export interface ProviderNotice {
  provider: string;
  reason: NoticeReason;
  caseKind: CaseKind;
  call: CaseCall;
  number?: string;
  outcome: CaseStatus;
  /** What the provider is asked to do, in words. */
  asked: string;
  customer?: Customer;
  foreignUpstream?: string;
  /** The deadline the provider missed (non-responsive). */
  missedDeadline?: string;
  /** The downstream provider that named this one. */
  namedBy?: string | null;
}

/** The request of a manual hop: the call, the question, and the signed link a person answers through. */
export interface ManualHopNotice {
  provider: string;
  caseKind: CaseKind;
  call: CaseCall;
  number?: string;
  question: string;
  askedBy: string | null;
  deadline: string;
  /** The answer page; its signed token (in the fragment) is the only credential needed, until the deadline. */
  link: string;
}

export const TRACEBACK_QUESTION = 'Who handed this call to you?';
export const FORWARD_QUESTION = 'Which customer is this call-back number assigned to (or which provider holds it now)?';

/** The notices an ended case sends: to its originator, its point of entry, or the provider that stayed silent. */
export function providerNotices(c: Case): ProviderNotice[] {
  if (c.status === 'open' || c.status === 'cancelled') return [];
  const last = c.hops.at(-1);
  const base = { caseKind: caseKind(c), call: c.call, ...(c.forward && { number: c.forward.number }), outcome: c.status };
  const out: ProviderNotice[] = [];
  if (c.originator) {
    const customer = last?.answer?.matches.find((m) => m.customer)?.customer;
    out.push({
      ...base,
      provider: c.originator,
      reason: 'originator',
      asked: c.forward
        ? 'The call-back number of a scam call is assigned to your customer: identify the customer, stop the number and tell the hub what you did.'
        : 'Your customer originated this call: identify the customer, stop the traffic and tell the hub what you did.',
      ...(customer && { customer }),
    });
  }
  if (c.pointOfEntry) {
    const foreign = last?.answer && namedUpstream(last.answer)?.name;
    out.push({
      ...base,
      provider: c.pointOfEntry,
      reason: 'point-of-entry',
      asked: 'You are the point of entry of this call from abroad: identify the foreign upstream, stop or mitigate its traffic and tell the hub what you did.',
      ...(foreign && { foreignUpstream: foreign }),
    });
  }
  if (c.status === 'non_responsive' && last && (last.state === 'unanswered' || last.answer?.result === 'declined')) {
    const deadline = last.attempts.at(-1)?.deadline;
    out.push({
      ...base,
      provider: last.provider,
      reason: 'non-responsive',
      asked: `You did not answer the ${c.forward ? 'trace forward' : 'traceback'} request by its deadline: answer it, or explain why not; non-responsive providers are reported.`,
      ...(deadline !== undefined && { missedDeadline: new Date(deadline).toISOString() }),
      namedBy: last.askedBy,
    });
  }
  return out;
}

export function manualHopNotice(c: Case, provider: string, askedBy: string | null, deadline: string, link: string): ManualHopNotice {
  return {
    provider,
    caseKind: caseKind(c),
    call: c.call,
    ...(c.forward && { number: c.forward.number }),
    question: c.forward ? FORWARD_QUESTION : TRACEBACK_QUESTION,
    askedBy,
    deadline,
    link,
  };
}

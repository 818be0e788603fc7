/**
 * The referral package of an ended case (issue 9): what an enforcement agency needs to act without asking the
 * hub anything — the summary (call, path, outcome, originator or point of entry, timings), the campaign the call
 * belongs to, and the signed evidence bundle (hub/evidence.ts) that proves every hop. Pure: the caller brings the
 * case, its evidence and the campaign's cases.
 */
import type { Match } from '../../proto/messages.js';
import { type CampaignGraph, campaignGraph } from '../campaign.js';
import { type Case, type CaseCall, type CaseKind, caseKind, type CaseStatus } from '../case.js';
import { namedUpstream } from '../engine.js';
import type { EvidenceBundle } from '../evidence.js';

type Customer = NonNullable<Match['customer']>;

export interface HopTiming {
  provider: string;
  mode: 'agent' | 'manual';
  result: string;
  askedAt: string;
  answeredAt?: string;
  tookMs?: number;
}

export interface ReferralSummary {
  caseKind: CaseKind;
  call: CaseCall;
  /** The call-back number a trace forward asked about. */
  number?: string;
  outcome: CaseStatus;
  detail?: string;
  /** Providers in the direction the call travelled: the origin (or the foreign upstream) first. */
  path: string[];
  originator?: { provider: string; customer?: Customer };
  pointOfEntry?: { provider: string; foreignUpstream?: string };
  timings: { startedAt: string; endedAt?: string; tookMs?: number; hops: HopTiming[] };
}

export interface ReferralBody {
  summary: ReferralSummary;
  campaign?: Pick<CampaignGraph, 'campaign' | 'tracebacks' | 'outcomes' | 'edges'>;
  evidence: EvidenceBundle;
}

/** `campaignCases`: every case of the case's campaign (empty or ignored when it has none). */
export function referralBody(c: Case, evidence: EvidenceBundle, campaignCases: readonly Case[]): ReferralBody {
  const body: ReferralBody = { summary: referralSummary(c), evidence };
  if (c.campaign !== undefined) {
    const g = campaignGraph(c.campaign, campaignCases);
    body.campaign = { campaign: g.campaign, tracebacks: g.tracebacks, outcomes: g.outcomes, edges: g.edges };
  }
  return body;
}

export function referralSummary(c: Case): ReferralSummary {
  const last = c.hops.at(-1);
  const lastAnswer = last?.answer;
  const s: ReferralSummary = {
    caseKind: caseKind(c),
    call: c.call,
    ...(c.forward && { number: c.forward.number }),
    outcome: c.status,
    ...(c.detail !== undefined && { detail: c.detail }),
    path: c.hops.map((h) => h.provider).reverse(),
    timings: {
      startedAt: iso(c.createdAt),
      ...(c.endedAt !== undefined && { endedAt: iso(c.endedAt), tookMs: c.endedAt - c.createdAt }),
      hops: c.hops.map((h) => {
        const askedAt = h.attempts[0]?.sentAt ?? c.createdAt;
        return {
          provider: h.provider,
          mode: h.mode,
          result: h.answer?.result ?? h.state,
          askedAt: iso(askedAt),
          ...(h.answeredAt !== undefined && { answeredAt: iso(h.answeredAt), tookMs: h.answeredAt - askedAt }),
        };
      }),
    },
  };
  if (c.originator) {
    const customer = lastAnswer?.matches.find((m) => m.customer)?.customer;
    s.originator = { provider: c.originator, ...(customer && { customer }) };
  }
  if (c.pointOfEntry) {
    const foreign = lastAnswer && namedUpstream(lastAnswer)?.name;
    s.pointOfEntry = { provider: c.pointOfEntry, ...(foreign && { foreignUpstream: foreign }) };
  }
  return s;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

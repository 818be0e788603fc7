/** Ended (or open) cases with a given chain, for the pure aggregations (reports, campaign graph). */
import type { Case, CaseStatus } from '../../hub/case.js';

export interface Traced {
  id: string;
  /** Providers from the terminating one upstream. */
  chain: string[];
  status: CaseStatus;
  createdAt: string;
  /** ms after createdAt */
  tookMs?: number;
  campaign?: string;
}

export function tracedCase(t: Traced): Case {
  const createdAt = Date.parse(t.createdAt);
  const endedAt = t.status === 'open' ? undefined : createdAt + (t.tookMs ?? 0);
  return {
    id: t.id,
    call: { calling: '+13125550117', called: '+12025550143', at: t.createdAt },
    ...(t.campaign && { campaign: t.campaign }),
    requester: 'ops',
    createdAt,
    updatedAt: endedAt ?? createdAt,
    ...(endedAt !== undefined && { endedAt }),
    status: t.status,
    hops: t.chain.map((provider, i) => ({
      provider,
      askedBy: i === 0 ? null : t.chain[i - 1]!,
      mode: 'agent',
      state: i < t.chain.length - 1 || t.status !== 'non_responsive' ? 'answered' : 'unanswered',
      attempts: [{ queryId: `${t.id}-q${i}`, windowSec: 120, sentAt: createdAt, deadline: createdAt + 10_000 }],
    })),
    rev: 1,
  };
}

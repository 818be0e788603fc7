/**
 * A traceback case and its hops: the state the engine (hub/engine.ts) moves and the hub store persists.
 * Plain JSON-serialisable data: the store keeps it as is, the evidence bundle embeds it.
 */
import type { HopAnswer } from '../proto/messages.js';

export type Outcome = 'originated' | 'foreign' | 'non_responsive' | 'not_found' | 'loop' | 'cancelled';
export type CaseStatus = 'open' | Outcome;

export interface CaseCall {
  calling: string;
  called: string;
  /** ISO 8601 UTC */
  at: string;
}

export interface HopAttempt {
  queryId: string;
  windowSec: number;
  sentAt: number;
  deadline: number;
  /** Set when the attempt ended without an answer. */
  timedOut?: boolean;
}

export interface Hop {
  provider: string;
  /** The downstream provider that named this one; null for the terminating provider. */
  askedBy: string | null;
  mode: 'agent' | 'manual';
  state: 'pending' | 'answered' | 'unanswered';
  attempts: HopAttempt[];
  answer?: HopAnswer;
  /** The signed answer exactly as received: the case's evidence, kept forever. */
  answerJws?: string;
  answeredAt?: number;
}

export interface Case {
  id: string;
  call: CaseCall;
  campaign?: string;
  /** Who asked (token id), to limit who may read the case. */
  requester: string;
  createdAt: number;
  updatedAt: number;
  status: CaseStatus;
  hops: Hop[];
  /** Last domestic provider when the call came from abroad. */
  pointOfEntry?: string;
  /** Provider whose customer originated the call. */
  originator?: string;
  /** Why the case ended, in words (e.g. "provider x did not answer by its deadline"). */
  detail?: string;
  /** Optimistic-concurrency revision: incremented on every save. */
  rev: number;
}

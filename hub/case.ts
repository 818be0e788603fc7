/**
 * A traceback case and its hops: the state the engine (hub/engine.ts) moves and the hub store persists.
 * Plain JSON-serialisable data: the store keeps it as is, the evidence bundle embeds it.
 */
import type { HopAnswer, ProviderKey } from '../proto/messages.js';

export const OUTCOMES = ['originated', 'foreign', 'non_responsive', 'not_found', 'loop', 'cancelled'] as const;
export type Outcome = (typeof OUTCOMES)[number];
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

/** The person who answered a manual hop; the hub signed the answer on their behalf. */
export interface Responder {
  name: string;
  email?: string;
}

/** An answer exactly as received, with what it takes to verify it years later. */
export interface SignedAnswer {
  /** The compact JWS: the case's evidence, kept forever. */
  jws: string;
  /** The signer's public keys as registered when the answer arrived (the hub's key for a manual answer). */
  keys: ProviderKey[];
  answeredBy?: Responder;
}

export interface Hop {
  provider: string;
  /** The downstream provider that named this one; null for the terminating provider. */
  askedBy: string | null;
  mode: 'agent' | 'manual';
  state: 'pending' | 'answered' | 'unanswered';
  attempts: HopAttempt[];
  answer?: HopAnswer;
  answerJws?: string;
  answerKeys?: ProviderKey[];
  answeredBy?: Responder;
  answeredAt?: number;
}

/**
 * The STIR/SHAKEN shortcut: an answer carried a verified A/B attestation whose signer is a registered provider,
 * so that provider is asked directly, beside the chain (not a hop of it). `path` records whether the chain,
 * followed hop by hop, reached the signer.
 */
export interface ShakenShortcut {
  signer: string;
  provider: string;
  attest: 'A' | 'B';
  /** Index of the hop whose answer carried the attestation. */
  fromHop: number;
  /** Absent when no side query was needed: the signer was already in the chain or the next hop. */
  query?: { queryId: string; sentAt: number; windowSec: number };
  answer?: HopAnswer;
  answerJws?: string;
  answerKeys?: ProviderKey[];
  answeredAt?: number;
  path?: 'agrees' | 'disagrees';
}

/** What a case asks: a traceback follows a call back hop by hop, a trace forward asks who holds a call-back number. */
export const CASE_KINDS = ['traceback', 'forward'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export function caseKind(c: Pick<Case, 'forward'>): CaseKind {
  return c.forward ? 'forward' : 'traceback';
}

export interface Case {
  id: string;
  call: CaseCall;
  campaign?: string;
  /** Who asked (token id), to limit who may read the case. */
  requester: string;
  createdAt: number;
  updatedAt: number;
  /** When the case reached its outcome. */
  endedAt?: number;
  status: CaseStatus;
  hops: Hop[];
  shaken?: ShakenShortcut;
  /** Last domestic provider when the call came from abroad. */
  pointOfEntry?: string;
  /** Provider whose customer originated the call. */
  originator?: string;
  /**
   * A trace forward (call-back scams, hub/forward/): the providers are asked, by hand, who holds `number`; an
   * `originated` answer names the customer it is assigned to. Absent on a traceback.
   */
  forward?: { number: string };
  /** Why the case ended, in words (e.g. "provider x did not answer by its deadline"). */
  detail?: string;
  /** Optimistic-concurrency revision: incremented on every save. */
  rev: number;
}

/**
 * The hub state contract. Two implementations run one contract suite (test/hub/store/contract.ts):
 * Redis (production; several hub instances may share it) and memory (embedded, demo).
 */
import type { JtiStore } from '../../proto/envelope.js';
import type { ProviderInput } from '../../proto/messages.js';
import type { Case } from '../case.js';

/** Registered from a person's manual answer naming a provider nobody had registered: to be completed by an admin. */
export interface Provisional {
  caseId: string;
  /** The provider whose person named it. */
  namedBy: string;
  answeredBy: string;
}

export type Provider = ProviderInput & { createdAt: number; updatedAt: number; provisional?: Provisional };

/** A queued hop query for one provider, already signed by the hub. */
export interface QueuedQuery {
  queryId: string;
  caseId: string;
  jws: string;
}

export interface TokenRecord {
  id: string;
  roles: string[];
  createdAt: number;
  expiresAt?: number;
}

export interface HubStore extends JtiStore {
  // providers
  putProvider(p: Provider): Promise<void>;
  getProvider(id: string): Promise<Provider | undefined>;
  listProviders(): Promise<Provider[]>;

  // cases
  /** Fails with ConflictError when the id exists. */
  createCase(c: Case): Promise<void>;
  getCase(id: string): Promise<Case | undefined>;
  /** Saves when the stored rev equals `c.rev - 1`, else ConflictError (someone else moved the case). */
  saveCase(c: Case): Promise<void>;
  listCases(filter?: { status?: string; campaign?: string; limit?: number }): Promise<Case[]>;
  /** Ids of every case not yet ended (resumed after a restart). */
  openCaseIds(): Promise<string[]>;

  // deadlines: one per case at most
  setDeadline(caseId: string, atMs: number): Promise<void>;
  clearDeadline(caseId: string): Promise<void>;
  /** Claims up to `limit` deadlines due at `nowMs`: each is returned to exactly one caller across hub instances. */
  claimDue(nowMs: number, limit: number): Promise<string[]>;

  // hop query dispatch (agents long-poll for their provider's queue)
  enqueue(provider: string, q: QueuedQuery): Promise<void>;
  /** Atomically takes up to `max` queued queries of a provider (each delivered once). */
  take(provider: string, max: number): Promise<QueuedQuery[]>;
  /**
   * Notified when something is enqueued for `provider` (by any hub instance), and once when the subscription
   * becomes active (and after a reconnect), so a waiter re-checks the queue. Returns an unsubscribe.
   */
  onEnqueue(provider: string, listener: () => void): () => void;
  /** queryId → caseId, so an answer finds its case. */
  caseOfQuery(queryId: string): Promise<string | undefined>;

  // bearer tokens for people and scripts (stored by hash, never in clear)
  putToken(hash: string, t: TokenRecord): Promise<void>;
  getToken(hash: string): Promise<TokenRecord | undefined>;

  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(readonly what: string) {
    super(`conflict: ${what}`);
  }
}

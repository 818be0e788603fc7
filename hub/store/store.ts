/**
 * The hub state contract. Two implementations run one contract suite (test/hub/store/contract.ts):
 * Redis (production; several hub instances may share it) and memory (embedded, demo).
 */
import type { JtiStore } from '../../proto/envelope.js';
import type { HopQuery, ProviderInput } from '../../proto/messages.js';
import type { Case } from '../case.js';

/** Registered from a person's manual answer naming a provider nobody had registered: to be completed by an admin. */
export interface Provisional {
  caseId: string;
  /** The provider whose person named it. */
  namedBy: string;
  answeredBy: string;
}

export type Provider = ProviderInput & { createdAt: number; updatedAt: number; provisional?: Provisional };

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
  /**
   * Saves when the stored rev equals `c.rev - 1`, else ConflictError (someone else moved the case). `prev`, the
   * version `c` was made from, lets a store write only what changed.
   */
  saveCase(c: Case, prev?: Case): Promise<void>;
  listCases(filter?: { status?: string; campaign?: string; limit?: number }): Promise<Case[]>;
  /** Ids of every case not yet ended (resumed after a restart). */
  openCaseIds(): Promise<string[]>;

  // deadlines: one per case at most
  setDeadline(caseId: string, atMs: number): Promise<void>;
  clearDeadline(caseId: string): Promise<void>;
  /** Claims up to `limit` deadlines due at `nowMs`: each is returned to exactly one caller across hub instances. */
  claimDue(nowMs: number, limit: number): Promise<string[]>;

  // hop query dispatch (agents long-poll for their provider's queue; the hub signs what they take, hub/dispatch.ts)
  enqueue(provider: string, q: HopQuery): Promise<void>;
  /** Atomically takes up to `max` queued queries of a provider, oldest first (each delivered once). */
  take(provider: string, max: number): Promise<HopQuery[]>;
  /**
   * Notified when an enqueue for `provider` (by any hub instance) finds its queue empty — a take caused by that
   * runs after any enqueue that followed, so it takes those too — and once when the subscription becomes active
   * (and after a reconnect), so a waiter (re-)checks the queue. Returns an unsubscribe.
   */
  onEnqueue(provider: string, listener: () => void): () => void;

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

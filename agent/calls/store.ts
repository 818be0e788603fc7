/**
 * The call index contract. Two implementations run the same contract suite (test/agent/calls/contract.ts):
 * Redis (production, shared by agent instances) and memory (embedded, demo and small sites).
 */
import type { CallRecord } from './record.js';

export interface CallIndex {
  /** Index records. Resolves only once the store has acknowledged every one of them (durable). */
  add(records: readonly CallRecord[]): Promise<void>;
  /**
   * Every record whose called number equals `called` and whose time (`at` or `atAlt`) lies in
   * [fromMs, toMs], at most `limit`, nearest to the window's middle first.
   */
  lookup(called: string, fromMs: number, toMs: number, limit?: number): Promise<CallRecord[]>;
  /** Is the store reachable now? (hop answers say `unavailable`, never `not_found`, when it is not) */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A call index that can tell its size (the `hoptrace_call_index_entries` gauge) and keeps its dictionary trimmed. */
export interface SizedCallIndex extends CallIndex {
  /** Entries held within retention; a DST-ambiguous call has two, and a replayed batch's calls count again. */
  size(): Promise<number>;
  /**
   * Drops the dictionary's evidence files whose calls are all past retention (a timer does it too), freeing
   * their ids for new files; how many it dropped.
   */
  trimFiles(): Promise<number>;
}

/** The store could not be reached or refused the operation: retryable, never "no record". */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(readonly op: string, options?: { cause?: unknown }) {
    super(`store unavailable during ${op}`, options);
  }
}

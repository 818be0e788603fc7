/**
 * The DNO cache: the hub's list as this site last synced it, shared by every agent instance of the site
 * (DESIGN §6). Two implementations run one contract suite (test/agent/dno/cache-contract.ts): Redis
 * (production) and memory (embedded).
 *
 * Identity: an entry is its target (number, prefix or range) *and* its category, so the same number may sit in
 * two categories (from two sources) and removing one leaves the other. Reason and source are payload: adding
 * an entry again replaces them. A delta applies its removals first, then its additions.
 */
import type { DnoCategory, DnoDelta, DnoEntry } from '../../proto/messages.js';

export interface DnoCache {
  version(): Promise<number>;
  /**
   * Apply a hub delta atomically (full replaces everything); ignores a delta whose `since` != current version
   * (returns false). The delta must be schema-valid (proto `parse(DnoDelta, …)`).
   */
  apply(delta: DnoDelta): Promise<boolean>;
  /**
   * Replace the whole list by the entries of `groups`, as version `version`, reading them group by group: a
   * full sync of 3 million entries never exists as one array, nor as 3 million objects. `count` (about how
   * many entries there will be) sizes the layout. A whole list names each entry once. Atomic like a full
   * delta: when `groups` throws (a sync cut short), the error propagates and nothing changed.
   */
  replace(version: number, groups: AsyncIterable<DnoEntryGroup>, count: number): Promise<void>;
  /**
   * Every entry at the current version, streamed in chunks (3M entries must not build one giant reply).
   * Throws `DnoCacheChangedError` if a change was applied while streaming: the chunks so far mixed versions.
   */
  entries(): AsyncIterable<DnoEntry[]>;
  /** Called after any instance applied a change (pub/sub for Redis). Returns an unsubscribe. */
  onChange(listener: (version: number) => void): () => void;
  /** A lease so that one instance of a site syncs from the hub: true when this owner holds it. */
  acquireSyncLease(owner: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Entries that share category, reason and source, each target written as proto/dno-target.ts writes it
 * ('+12025550100', '+1900*', '+1…00-+1…99') and already checked by whoever made the group.
 */
export interface DnoEntryGroup {
  category: DnoCategory;
  reason?: string;
  source?: string;
  targets: readonly string[];
}

/** Entries per chunk of `entries()`. */
export const ENTRY_CHUNK = 10_000;

export class DnoCacheChangedError extends Error {
  override readonly name = 'DnoCacheChangedError';
  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    super(`DNO cache changed from version ${from} to ${to} while its entries were read; read again`);
  }
}

/** Does `delta` apply on top of `current`? A full delta always does. */
export function appliesTo(delta: DnoDelta, current: number): boolean {
  return delta.full || delta.since === current;
}

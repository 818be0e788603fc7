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
   * The hub list (its id, chosen when the hub's list was created: null before the first full sync) and the
   * version of it this cache holds. A version means something only within its list: a hub whose list was
   * wiped and made again counts from 1 under a new id.
   */
  position(): Promise<DnoPosition>;
  /**
   * Apply a hub delta atomically (full replaces everything); ignores a delta whose `since` != current version
   * (returns false). The delta must be schema-valid (proto `parse(DnoDelta, …)`).
   */
  apply(delta: DnoDelta): Promise<boolean>;
  /**
   * Replace the whole list by the entries of `groups`, as version `version`, reading them group by group: a
   * full sync of 3 million entries never exists as one array, nor as 3 million objects. `count` (about how
   * many entries there will be) sizes the layout. A whole list names each entry once; `list` is its id.
   * Atomic like a full delta: when `groups` throws (a sync cut short), the error propagates and nothing changed.
   */
  replace(version: number, groups: AsyncIterable<DnoEntryGroup>, count: number, list?: string): Promise<void>;
  /**
   * Every entry at the current version, streamed in chunks (3M entries must not build one giant reply).
   * Throws `DnoCacheChangedError` if a change was applied while streaming: the chunks so far mixed versions.
   */
  entries(): AsyncIterable<DnoEntry[]>;
  /**
   * Called after any instance applied a change (pub/sub for Redis), with the change itself when it was a small
   * delta (so that followers update their snapshot without reading the whole list). Returns an unsubscribe.
   */
  onChange(listener: (version: number, change?: DnoAnnouncedChange) => void): () => void;
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

export interface DnoPosition {
  list: string | null;
  version: number;
}

/** A delta as the instance that applied it announces it: it took the cache from `since` to `version`. */
export interface DnoAnnouncedChange {
  list: string | null;
  since: number;
  version: number;
  add: DnoEntry[];
  remove: DnoEntry[];
}

/** A delta with more entries than this is announced by its version alone: followers read the whole list. */
export const ANNOUNCED_ENTRIES = 10_000;

/** The announcement of `delta` (from `since`), or null when it is too large to announce. */
export function announcement(delta: DnoDelta, since: number, list: string | null): DnoAnnouncedChange | null {
  if (delta.full || delta.add.length + delta.remove.length > ANNOUNCED_ENTRIES) return null;
  return { list, since, version: delta.version, add: delta.add, remove: delta.remove };
}

/** Entries per chunk of `entries()`: small, so that a chunk dies young (a snapshot rebuild reads millions). */
export const ENTRY_CHUNK = 2_000;

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

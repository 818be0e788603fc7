/**
 * The DNO master list's storage contract. Two implementations run one contract suite
 * (test/hub/dno/store-contract.ts): Redis (production, shared by hub instances) and memory (embedded, demo).
 *
 * Every change is one atomic step: the entries, a new version, its change-log row, its payloads and — when it
 * is small enough to be worth keeping — its delta for agents that are a few versions behind.
 */
import { randomUUID } from 'node:crypto';
import { categoryCode } from '../../agent/dno/entry-codec.js';
import type { LineProblem } from '../../agent/dno/file-error.js';
import { DnoCategory } from '../../proto/messages.js';
import { changeRow, type DnoChangeRow, type DnoRequest, resolveChange } from './master.js';
import { formatDelta, mintPayloadIds, type NetDelta } from './layout.js';

/** A change with more entries than this is not kept as a delta: an agent behind it takes the whole list. */
export const DELTA_KEEP = 200_000;
/** Entries of all kept deltas together; the oldest are dropped beyond it. */
export const DELTA_BUDGET = 1_000_000;
/** An agent further behind than this many versions takes the whole list. */
export const MAX_BEHIND = 10_000;
/** Entries per chunk of `read()`. */
export const READ_CHUNK = 10_000;

export interface DnoSummary {
  /**
   * The list's id (its epoch), chosen when the list was created: versions count within it. A hub whose store
   * was wiped starts a new list with a new id, so an agent holding a version of the old one takes the whole list.
   */
  list: string;
  version: number;
  counts: Record<DnoCategory, number>;
  total: number;
}

/** Entries as stored: fields and payload ids, in parallel. */
export interface StoredEntries {
  fields: string[];
  pids: string[];
}

export interface DnoListStore {
  summary(): Promise<DnoSummary>;
  /**
   * Apply a request as the next version. Throws `DnoChangeRefused` (master.ts) when it may not happen: then
   * nothing changed.
   */
  change(req: DnoRequest, now: number): Promise<DnoChangeResult>;
  /**
   * The net change from version `since` to the current one, or null when only the whole list will do: `since`
   * is too far behind (or ahead), or a change in between was too large to keep.
   */
  deltaSince(since: number): Promise<{ version: number; delta: NetDelta } | null>;
  /**
   * Every entry, in chunks of at most READ_CHUNK. `version` is the version when the read began: a change made
   * while the chunks are read may or may not be in them, so a reader that then applies the deltas since
   * `version` ends up exactly at the list as it is.
   */
  read(): Promise<{ version: number; chunks: AsyncIterable<StoredEntries> }>;
  /** The entries with this target (a field without its category code) in every category. */
  find(target: string): Promise<StoredEntries>;
  /** Payload JSON by payload id ('' for an entry without reason and source); unknown ids are left out. */
  payloads(ids: readonly string[]): Promise<Map<string, string>>;
  /** Change-log rows, newest first, of the versions before `before` (default: all). */
  history(opts: { before?: number; limit: number }): Promise<DnoChangeRow[]>;
  /** The change-log rows of these versions (those that exist). */
  rows(versions: readonly number[]): Promise<DnoChangeRow[]>;
  /** Called with the new version after any hub instance changed the list. Returns an unsubscribe. */
  onChange(listener: (version: number) => void): () => void;
  close(): Promise<void>;
}

export interface DnoChangeResult {
  row: DnoChangeRow;
  /** Bad lines left out (the operator asked to apply the good ones). */
  skipped: LineProblem[];
}

/** What a store writes for one change (pure: both stores apply the same plan). */
export interface ChangePlan {
  row: DnoChangeRow;
  skipped: LineProblem[];
  /** Fields to set, with their payload ids. */
  add: Map<string, string>;
  /** Fields to delete. */
  remove: Set<string>;
  /** Payload id → JSON, minted by this change. */
  payloads: Map<string, string>;
  /** The change as delta text, or null when it is too large to keep. */
  delta: string | null;
  /** Entries in the change (what the delta budget counts). */
  size: number;
  /** Change in entries per category code. */
  counts: Map<string, number>;
}

/** Resolve `req` against the list at version `current` (`listed(field)`) into what to write. */
export function planChange(req: DnoRequest, listed: (field: string) => boolean, current: number, now: number): ChangePlan {
  const version = current + 1;
  const ids = mintPayloadIds(version, new Set(req.add.payloads));
  const resolved = resolveChange(req, listed, ids);
  const counts = new Map<string, number>();
  for (const field of resolved.remove) counts.set(field[0]!, (counts.get(field[0]!) ?? 0) - 1);
  for (const field of resolved.add.keys()) if (!listed(field)) counts.set(field[0]!, (counts.get(field[0]!) ?? 0) + 1);
  const size = resolved.add.size + resolved.remove.length;
  return {
    row: changeRow(req, resolved, version, now),
    skipped: resolved.problems,
    add: resolved.add,
    remove: new Set(resolved.remove),
    payloads: new Map([...ids].map(([json, pid]) => [pid, json])),
    delta: size <= DELTA_KEEP ? formatDelta(resolved.add, resolved.remove) : null,
    size,
    counts,
  };
}

/** A summary from stored counts per category code. */
export function summaryOf(list: string, version: number, countOf: (code: string) => number): DnoSummary {
  const counts = Object.fromEntries(DnoCategory.options.map((c) => [c, countOf(categoryCode(c))])) as Record<DnoCategory, number>;
  return { list, version, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
}

/** A new list id: random, so two lists (or one list before and after a wipe) never share one. */
export function newListId(): string {
  return randomUUID();
}

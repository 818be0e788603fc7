/**
 * The hub's list part of a snapshot with the deltas since its last full build laid over it: a change on the hub
 * reaches decisions in milliseconds, not in the seconds a rebuild of 3 million numbers takes (issue 5: ≤ 1 s
 * from the hub to the policy server). The base part is shared, never copied; the overlay holds what changed
 * (numbers added and removed as sorted keys, searched without allocation) and, when prefixes or ranges
 * changed, their whole (small) table rebuilt. Each delta makes a new part, so a snapshot already handed out
 * stays as it was. The overlay grows with every delta; LiveDno rebuilds the base in the background once it is
 * large (`size`).
 */
import type { DnoEntry } from '../../proto/messages.js';
import { fieldOf } from './entry-codec.js';
import { IntervalTable } from './intervals.js';
import { type Best, checkCategory, checkInterval, type DnoMatch, exactRule, ListPart, offerExact, offerInterval, type SnapshotPart, SnapshotEntryError } from './snapshot.js';
import { digitsOf } from './snapshot-codes.js';

/** Removals first, then additions (as in DnoCache.apply). */
export interface OverlayChange {
  add: readonly DnoEntry[];
  remove: readonly DnoEntry[];
}

export class OverlaidPart implements SnapshotPart {
  readonly numbers: number;
  readonly intervals: number;
  readonly byCategory: readonly number[];
  /** Sorted keys (digits * 4 + category) of base numbers removed, and of numbers added, with their matches. */
  private readonly removedKeys: Float64Array;
  private readonly addedKeys: Float64Array;
  private readonly addedMatches: readonly DnoMatch[];

  private constructor(
    readonly base: ListPart,
    /** key → match of every number added since the base was built. */
    private readonly added: ReadonlyMap<number, DnoMatch>,
    /** Keys of base numbers no longer on the list (or replaced by an added entry of the same key). */
    private readonly removed: ReadonlySet<number>,
    /** The prefixes and ranges now, by field. */
    private readonly intervalEntries: ReadonlyMap<string, DnoEntry>,
    private readonly table: IntervalTable,
    /** Prefix and range additions and removals since the base. */
    private readonly intervalEdits: number,
  ) {
    this.removedKeys = Float64Array.from(removed).sort();
    this.addedKeys = Float64Array.from(added.keys()).sort();
    this.addedMatches = Array.from(this.addedKeys, (key) => added.get(key)!);
    const counts = [...base.numberCounts];
    for (const key of removed) counts[key % 4]!--;
    for (const key of added.keys()) counts[key % 4]!++;
    for (let j = 0; j < table.entries.length; j++) counts[table.categories[j]!]!++;
    this.byCategory = counts;
    this.numbers = base.numbers - removed.size + added.size;
    this.intervals = table.entries.length;
  }

  /** A base part with nothing laid over it yet. */
  static over(base: ListPart): OverlaidPart {
    const intervals = new Map(base.table.entries.map((e) => [fieldOf(e), e]));
    return new OverlaidPart(base, new Map(), new Set(), intervals, base.table, 0);
  }

  /** Entries laid over the base (what a rebuild would fold in). */
  get size(): number {
    return this.added.size + this.removed.size + this.intervalEdits;
  }

  /** This part with `change` applied; throws SnapshotEntryError (and changes nothing) on a bad entry. */
  with(change: OverlayChange): OverlaidPart {
    const added = new Map(this.added);
    const removed = new Set(this.removed);
    let intervals: Map<string, DnoEntry> | null = null;
    let intervalEdits = this.intervalEdits;
    const base = this.base.packed;
    const keyOf = (entry: DnoEntry): number => {
      const digits = digitsOf(entry.number!);
      if (digits < 0) throw new SnapshotEntryError(entry, 'number must be + and 1-15 digits');
      return digits * 4 + checkCategory(entry);
    };
    for (const entry of change.remove) {
      if (entry.number === undefined) {
        (intervals ??= new Map(this.intervalEntries)).delete(fieldOf(entry));
        intervalEdits++;
        continue;
      }
      const key = keyOf(entry);
      added.delete(key);
      if (base.has(Math.floor(key / 4), key % 4)) removed.add(key);
    }
    for (const entry of change.add) {
      if (entry.number === undefined) {
        (intervals ??= new Map(this.intervalEntries)).set(fieldOf(checkInterval(entry)), entry);
        intervalEdits++;
        continue;
      }
      const key = keyOf(entry);
      added.set(key, Object.freeze({ category: entry.category, entry: Object.freeze({ ...entry }), rule: `${entry.category}:${entry.number}` }));
      // The base's copy (if any) carries the old reason and source: the added one replaces it.
      if (base.has(Math.floor(key / 4), key % 4)) removed.add(key);
    }
    const table = intervals === null ? this.table : new IntervalTable([...intervals.values()]);
    return new OverlaidPart(this.base, added, removed, intervals ?? this.intervalEntries, table, intervalEdits);
  }

  consider(digits: number, len: number, best: Best): void {
    const base = this.base.packed;
    const first = base.first(digits);
    if (first >= 0) {
      const removed = this.removedKeys;
      // The number's words in precedence order: the first not removed is the base's answer.
      for (let i = first; i < base.count && base.digitsAt(i) === digits; i++) {
        const category = base.categoryAt(i);
        if (removed.length > 0 && indexOf(removed, digits * 4 + category) >= 0) continue;
        offerExact(best, category, this, i);
        break;
      }
    }
    const keys = this.addedKeys;
    if (keys.length > 0) {
      const k = lowerBound(keys, digits * 4);
      if (k < keys.length && keys[k]! < digits * 4 + 4) offerExact(best, keys[k]! - digits * 4, this, -1 - k);
    }
    offerInterval(best, this.table, len, digits, this);
  }

  rule(best: Best, e164: string): string {
    if (best.width > 0) return this.table.matches[best.index]!.rule;
    return best.index < 0 ? this.addedMatches[-1 - best.index]!.rule : exactRule(best.category, e164);
  }

  match(best: Best, e164: string, digits: number): DnoMatch {
    if (best.width > 0) return this.table.matches[best.index]!;
    if (best.index < 0) return this.addedMatches[-1 - best.index]!;
    return this.base.numberMatch(e164, digits, best.index);
  }
}

function lowerBound(keys: Float64Array, value: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOf(keys: Float64Array, value: number): number {
  const i = lowerBound(keys, value);
  return i < keys.length && keys[i] === value ? i : -1;
}

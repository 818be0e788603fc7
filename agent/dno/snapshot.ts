/**
 * The in-process DNO snapshot: an immutable, compact structure that answers "is this calling number on a DNO
 * list?" on every INVITE without allocating when the answer is no (DESIGN §7: ≤ 2 µs p99 with 3 million
 * numbers, agent RSS ≤ 150 MB).
 *
 * Layout:
 * - exact numbers: one 64-bit word each, sorted: [E.164 digits: 50 bits][category: 2][reason/source id: 12],
 *   with a block index of every 64th number that stays in the CPU cache.
 *   15 digits < 2^50, so a number is its own sort key; 3 million numbers take 24 MB and sort natively
 *   (BigUint64Array, no comparator), and are searched through a Uint32Array view without BigInt.
 * - prefixes and ranges: a few sorted, disjoint [lo, hi] segments per number length, each owned by the entry
 *   that wins there.
 * - the NANPA CO table (see cotable.ts) for unallocated NPA-NXX.
 *
 * Precedence: one number in several categories (or covered by several entries) resolves to the category that
 * comes first in the decision order of domain.md §2.6 (invalid, unallocated, unassigned, listed) — not to the
 * entry added last, so the answer does not depend on the order lists were merged. Within one category an
 * exact number beats a prefix or range, and a narrower prefix/range beats a wider one.
 */
import type { DnoCategory, DnoEntry } from '../../proto/messages.js';
import type { CoTable } from './cotable.js';

/** Decision order of domain.md §2.6; the index is the category's code in the packed words. */
export const CATEGORY_PRECEDENCE = ['invalid', 'unallocated', 'unassigned', 'listed'] as const satisfies DnoCategory[];
const CATEGORY_CODE: Readonly<Record<DnoCategory, number>> = { invalid: 0, unallocated: 1, unassigned: 2, listed: 3 };

export interface DnoMatch {
  category: DnoCategory;
  entry: DnoEntry;
  /** What matched, for the audit log: 'listed:+12025550100', 'prefix:+1900', 'range:+1…-+1…'. */
  rule: string;
}

export interface DnoSnapshot {
  /** The hub list version this snapshot was built from (0 before the first sync). */
  readonly version: number;
  readonly counts: {
    readonly numbers: number;
    readonly intervals: number;
    readonly coCodes: number;
    /** Numbers (each counted once, in the category it resolves to) and intervals, per category. */
    readonly byCategory: Readonly<Record<DnoCategory, number>>;
  };
  /** The winning list entry for an E.164 number, or null. Allocates only on a hit. */
  lookup(e164: string): DnoMatch | null;
  /** 'co:202-555' when a CO table is loaded, covers the NPA and does not assign the NPA-NXX; else null. */
  unallocated(e164: string): string | null;
}

/** An entry that cannot be packed (entries are validated upstream; this guards against a bypass). */
export class SnapshotEntryError extends Error {
  override readonly name = 'SnapshotEntryError';
  constructor(
    readonly entry: DnoEntry,
    readonly reason: string,
  ) {
    super(`DNO entry ${JSON.stringify(entry)}: ${reason}`);
  }
}

const PLUS = 43;
const ZERO = 48;
const ONE = 49;
/** E.164 numbers have 7–15 digits (proto/messages.ts `E164`); prefixes and ranges are indexed per length. */
const MIN_LEN = 7;
const MAX_LEN = 15;
/** The low 18 digit-bits share the low 32-bit word with the category (2 bits) and the meta id (12 bits). */
const LOW_DIGITS = 2 ** 18;
const META_MASK = 0xfff;
/** Numbers per block of the block index: 64 words are 512 bytes, 8 cache lines. */
const BLOCK = 64;
/** Meta id stored in the word when the real id needs more than 12 bits: look it up in the overflow map. */
const META_OVERFLOW = 0xfff;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('DNO snapshot needs a little-endian CPU');

/** The digits of '+' and 1–15 digits (no leading 0) as a number, or -1. No allocation. */
export function digitsOf(e164: string): number {
  const len = e164.length;
  if (len < 2 || len > MAX_LEN + 1 || e164.charCodeAt(0) !== PLUS || e164.charCodeAt(1) === ZERO) return -1;
  let value = 0;
  for (let i = 1; i < len; i++) {
    const d = e164.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** How an entry is written in list files and audit logs: '+12025550100', '+1900*', '+1…00-+1…99'. */
export function targetOf(entry: DnoEntry): string {
  if (entry.number !== undefined) return entry.number;
  if (entry.prefix !== undefined) return `${entry.prefix}*`;
  return `${entry.range!.from}-${entry.range!.to}`;
}

interface Meta {
  reason?: string;
  source?: string;
}

/** Accumulates entries (in chunks, so 3 million never exist as objects at once) and builds one snapshot. */
export class SnapshotBuilder {
  private keys = new BigUint64Array(1024);
  private words = new Uint32Array(this.keys.buffer);
  private count = 0;
  private readonly metas: Meta[] = [{}];
  private readonly metaIds = new Map<string | undefined, Map<string | undefined, number>>();
  /** digits * 4 + category → meta id, for the rare list with more than 4094 distinct reason/source pairs. */
  private readonly overflow = new Map<number, number>();
  private readonly intervals: DnoEntry[] = [];

  add(entries: Iterable<DnoEntry>): this {
    for (const entry of entries) {
      if (entry.number !== undefined) this.addNumber(entry, entry.number);
      else this.intervals.push(checkInterval(entry));
    }
    return this;
  }

  /** Build the snapshot. The builder is spent afterwards. */
  build(opts: SnapshotOptions): DnoSnapshot {
    const n = this.count;
    this.keys.subarray(0, n).sort();
    const w = this.words;
    // Sorted by digits then category code: the first word of each number is the one with precedence.
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const hi = w[2 * i + 1]!;
      const lo = w[2 * i]!;
      if (kept > 0 && w[2 * kept - 1] === hi && w[2 * kept - 2]! >>> 14 === lo >>> 14) continue;
      w[2 * kept] = lo;
      w[2 * kept + 1] = hi;
      kept++;
    }
    const numbers = w.slice(0, 2 * kept);
    this.keys = new BigUint64Array(0);
    this.words = new Uint32Array(0);
    const segments = segmentsByLength(this.intervals);
    const co = opts.coAssigned ?? null;
    return new PackedSnapshot(opts.version, numbers, this.metas, this.overflow, segments, this.intervals, co);
  }

  private addNumber(entry: DnoEntry, number: string): void {
    const digits = digitsOf(number);
    if (digits < 0) throw new SnapshotEntryError(entry, 'number must be + and 1-15 digits');
    const category = checkCategory(entry);
    let meta = this.metaId(entry.reason, entry.source);
    if (meta >= META_OVERFLOW) {
      this.overflow.set(digits * 4 + category, meta);
      meta = META_OVERFLOW;
    }
    if (this.count === this.keys.length) this.grow();
    const hi = Math.floor(digits / LOW_DIGITS);
    const i = this.count++;
    this.words[2 * i + 1] = hi;
    this.words[2 * i] = (((digits - hi * LOW_DIGITS) << 14) | (category << 12) | meta) >>> 0;
  }

  private metaId(reason: string | undefined, source: string | undefined): number {
    if (reason === undefined && source === undefined) return 0;
    let bySource = this.metaIds.get(reason);
    if (bySource === undefined) this.metaIds.set(reason, (bySource = new Map()));
    let id = bySource.get(source);
    if (id === undefined) {
      id = this.metas.length;
      const meta: Meta = {};
      if (reason !== undefined) meta.reason = reason;
      if (source !== undefined) meta.source = source;
      this.metas.push(meta);
      bySource.set(source, id);
    }
    return id;
  }

  private grow(): void {
    const keys = new BigUint64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
    this.words = new Uint32Array(keys.buffer);
  }
}

export interface SnapshotOptions {
  version: number;
  coAssigned?: CoTable;
}

export function buildSnapshot(entries: Iterable<DnoEntry>, opts: SnapshotOptions): DnoSnapshot {
  return new SnapshotBuilder().add(entries).build(opts);
}

function checkCategory(entry: DnoEntry): number {
  const code = CATEGORY_CODE[entry.category];
  if (code === undefined) throw new SnapshotEntryError(entry, `unknown category ${String(entry.category)}`);
  return code;
}

function checkInterval(entry: DnoEntry): DnoEntry {
  checkCategory(entry);
  if (entry.prefix !== undefined) {
    if (digitsOf(entry.prefix) < 0) throw new SnapshotEntryError(entry, 'prefix must be + and 1-15 digits');
    return entry;
  }
  const range = entry.range;
  if (range === undefined) throw new SnapshotEntryError(entry, 'needs a number, a prefix or a range');
  const from = digitsOf(range.from);
  const to = digitsOf(range.to);
  if (from < 0 || to < 0 || range.from.length !== range.to.length || from > to) {
    throw new SnapshotEntryError(entry, 'range needs from <= to, both E.164 of equal length');
  }
  return entry;
}

/** Disjoint segments of one number length, sorted by lo; owner = index into the interval entries. */
interface Segments {
  lo: Float64Array;
  hi: Float64Array;
  owner: Uint32Array;
}

interface Interval {
  lo: number;
  hi: number;
  category: number;
  width: number;
  index: number;
}

function segmentsByLength(entries: readonly DnoEntry[]): (Segments | null)[] {
  const tables: (Segments | null)[] = [];
  for (let len = 0; len <= MAX_LEN; len++) {
    tables.push(len < MIN_LEN ? null : segmentsOf(intervalsOfLength(entries, len)));
  }
  return tables;
}

/** Each prefix covers every longer number length; a range covers its own length only. */
function intervalsOfLength(entries: readonly DnoEntry[], len: number): Interval[] {
  const out: Interval[] = [];
  entries.forEach((entry, index) => {
    const category = CATEGORY_CODE[entry.category];
    if (entry.prefix !== undefined) {
      const digits = entry.prefix.length - 1;
      if (digits > len) return;
      const width = 10 ** (len - digits);
      const lo = digitsOf(entry.prefix) * width;
      out.push({ lo, hi: lo + width - 1, category, width, index });
    } else if (entry.range !== undefined && entry.range.from.length - 1 === len) {
      const lo = digitsOf(entry.range.from);
      const hi = digitsOf(entry.range.to);
      out.push({ lo, hi, category, width: hi - lo + 1, index });
    }
  });
  return out;
}

/**
 * Cut overlapping intervals into disjoint segments, each owned by the interval with precedence there
 * (category, then narrowest, then first added). Intervals are painted in precedence order onto the elementary
 * segments between their boundaries; `next` skips painted ones (union-find), so each is painted once.
 */
function segmentsOf(intervals: Interval[]): Segments | null {
  if (intervals.length === 0) return null;
  const points = uniqueSorted(intervals.flatMap((iv) => [iv.lo, iv.hi + 1]));
  const owner = new Int32Array(points.length - 1).fill(-1);
  const next = Int32Array.from({ length: points.length }, (_, i) => i);
  const free = (i: number): number => {
    while (next[i] !== i) {
      next[i] = next[next[i]!]!;
      i = next[i]!;
    }
    return i;
  };
  intervals.sort((a, b) => a.category - b.category || a.width - b.width || a.index - b.index);
  for (const iv of intervals) {
    const end = search(points, iv.hi + 1);
    for (let k = free(search(points, iv.lo)); k < end; k = free(k)) {
      owner[k] = iv.index;
      next[k] = k + 1;
    }
  }
  const lo: number[] = [];
  const hi: number[] = [];
  const own: number[] = [];
  for (let k = 0; k < owner.length; k++) {
    const o = owner[k]!;
    if (o < 0) continue;
    const last = own.length - 1;
    if (last >= 0 && own[last] === o && hi[last] === points[k]! - 1) hi[last] = points[k + 1]! - 1;
    else {
      lo.push(points[k]!);
      hi.push(points[k + 1]! - 1);
      own.push(o);
    }
  }
  return { lo: Float64Array.from(lo), hi: Float64Array.from(hi), owner: Uint32Array.from(own) };
}

function uniqueSorted(values: number[]): Float64Array {
  const sorted = Float64Array.from(values).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (n === 0 || sorted[n - 1] !== sorted[i]) sorted[n++] = sorted[i]!;
  return sorted.slice(0, n);
}

/** Index of `value` in sorted `points` (it is always there). */
function search(points: Float64Array, value: number): number {
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function intervalRule(entry: DnoEntry): string {
  return entry.prefix !== undefined ? `prefix:${entry.prefix}` : `range:${entry.range!.from}-${entry.range!.to}`;
}

class PackedSnapshot implements DnoSnapshot {
  readonly counts: DnoSnapshot['counts'];
  /** Interval hits return these shared, frozen matches: no allocation. */
  private readonly intervalMatches: readonly DnoMatch[];
  /** The digits of every BLOCK-th packed number. */
  private readonly blockIndex: Float64Array;

  constructor(
    readonly version: number,
    /** Pairs of (low word, high word) of the packed numbers, sorted. */
    private readonly words: Uint32Array,
    private readonly metas: readonly Meta[],
    private readonly overflow: ReadonlyMap<number, number>,
    private readonly segments: readonly (Segments | null)[],
    intervals: readonly DnoEntry[],
    private readonly co: CoTable | null,
  ) {
    const numbers = words.length / 2;
    const byCategory = { invalid: 0, unallocated: 0, unassigned: 0, listed: 0 };
    for (let i = 0; i < numbers; i++) byCategory[CATEGORY_PRECEDENCE[(words[2 * i]! >>> 12) & 3]!]++;
    for (const entry of intervals) byCategory[entry.category]++;
    this.counts = { numbers, intervals: intervals.length, coCodes: co?.size ?? 0, byCategory };
    this.blockIndex = Float64Array.from({ length: Math.ceil(numbers / BLOCK) }, (_, b) => {
      const i = b * BLOCK;
      return words[2 * i + 1]! * LOW_DIGITS + (words[2 * i]! >>> 14);
    });
    this.intervalMatches = intervals.map((entry) =>
      Object.freeze({ category: entry.category, entry, rule: intervalRule(entry) }),
    );
  }

  lookup(e164: string): DnoMatch | null {
    const digits = digitsOf(e164);
    if (digits < 0) return null;
    const exact = this.findNumber(digits);
    const interval = this.findInterval(e164.length - 1, digits);
    if (exact < 0) return interval < 0 ? null : this.intervalMatches[interval]!;
    const low = this.words[2 * exact]!;
    const category = (low >>> 12) & 3;
    const covering = interval >= 0 ? this.intervalMatches[interval]! : null;
    if (covering !== null && CATEGORY_CODE[covering.category] < category) return covering;
    return this.numberMatch(e164, digits, category, low & META_MASK);
  }

  unallocated(e164: string): string | null {
    const co = this.co;
    if (co === null || e164.length !== 12 || e164.charCodeAt(0) !== PLUS || e164.charCodeAt(1) !== ONE) return null;
    const npa = threeDigits(e164, 2);
    const nxx = threeDigits(e164, 5);
    if (npa < 0 || nxx < 0 || !co.isUnallocated(npa, nxx)) return null;
    return `co:${e164.slice(2, 5)}-${e164.slice(5, 8)}`;
  }

  /**
   * Index of `digits` among the packed numbers, or -1. The block index (a few hundred KB) stays in the CPU
   * cache, so a search touches only a handful of cache lines of the 24 MB array instead of ~12 far apart.
   */
  private findNumber(digits: number): number {
    const index = this.blockIndex;
    if (index.length === 0 || index[0]! > digits) return -1;
    let lo = 0;
    let hi = index.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (index[mid]! <= digits) lo = mid;
      else hi = mid - 1;
    }
    const w = this.words;
    lo *= BLOCK;
    hi = Math.min(lo + BLOCK, w.length / 2) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = w[2 * mid + 1]! * LOW_DIGITS + (w[2 * mid]! >>> 14);
      if (at < digits) lo = mid + 1;
      else if (at > digits) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  /** The interval entry index covering `digits` among numbers of length `len`, or -1. */
  private findInterval(len: number, digits: number): number {
    const table = len <= MAX_LEN ? this.segments[len] : null;
    if (!table) return -1;
    let lo = 0;
    let hi = table.lo.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (table.lo[mid]! <= digits) lo = mid;
      else hi = mid - 1;
    }
    return table.lo[lo]! <= digits && digits <= table.hi[lo]! ? table.owner[lo]! : -1;
  }

  private numberMatch(e164: string, digits: number, code: number, packedMeta: number): DnoMatch {
    const category = CATEGORY_PRECEDENCE[code]!;
    const metaId = packedMeta === META_OVERFLOW ? (this.overflow.get(digits * 4 + code) ?? 0) : packedMeta;
    const meta = this.metas[metaId] ?? {};
    const entry: DnoEntry = { number: e164, category };
    if (meta.reason !== undefined) entry.reason = meta.reason;
    if (meta.source !== undefined) entry.source = meta.source;
    return { category, entry, rule: `${category}:${e164}` };
  }
}

function threeDigits(s: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 3; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

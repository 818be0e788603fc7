/**
 * DNO prefixes and ranges as a few sorted, disjoint [lo, hi] segments per number length, each owned by the
 * entry that wins there (category, then narrowest, then first added): one binary search per lookup.
 * A list has few of them (thousands at most), so the table is rebuilt whole when they change.
 */
import type { DnoEntry } from '../../proto/messages.js';
import type { DnoMatch } from './snapshot.js';
import { CATEGORY_CODE, digitsOf, MAX_LEN, MIN_LEN } from './snapshot-codes.js';

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

export class IntervalTable {
  /** Interval hits return these shared, frozen matches: no allocation. */
  readonly matches: readonly DnoMatch[];
  /** Category code of each entry, for precedence against the other parts of a snapshot. */
  readonly categories: Uint8Array;
  /** Per entry: a prefix's digit count, or -1 and the range's width in `rangeWidths`. */
  private readonly prefixDigits: Int8Array;
  private readonly rangeWidths: Float64Array;
  private readonly segments: readonly (Segments | null)[];

  /** `entries` are prefixes and ranges already checked (snapshot.ts checkInterval). */
  constructor(readonly entries: readonly DnoEntry[]) {
    this.segments = segmentsByLength(entries);
    this.matches = entries.map((entry) => Object.freeze({ category: entry.category, entry, rule: intervalRule(entry) }));
    this.categories = Uint8Array.from(entries, (e) => CATEGORY_CODE[e.category]);
    this.prefixDigits = Int8Array.from(entries, prefixDigits);
    this.rangeWidths = Float64Array.from(entries, (e) => (e.range ? digitsOf(e.range.to) - digitsOf(e.range.from) + 1 : 0));
  }

  static readonly EMPTY = new IntervalTable([]);

  /** The entry index covering `digits` among numbers of length `len`, or -1. No allocation. */
  find(len: number, digits: number): number {
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

  /** How many numbers of length `len` entry `index` covers: "narrower" is judged on this. */
  widthAt(index: number, len: number): number {
    const d = this.prefixDigits[index]!;
    return d < 0 ? this.rangeWidths[index]! : 10 ** (len - d);
  }
}

function intervalRule(entry: DnoEntry): string {
  return entry.prefix !== undefined ? `prefix:${entry.prefix}` : `range:${entry.range!.from}-${entry.range!.to}`;
}

/** A prefix's digit count, or -1 for a range. */
function prefixDigits(entry: DnoEntry): number {
  return entry.prefix === undefined ? -1 : entry.prefix.length - 1;
}

function segmentsByLength(entries: readonly DnoEntry[]): (Segments | null)[] {
  const tables: (Segments | null)[] = [];
  for (let len = 0; len <= MAX_LEN; len++) {
    tables.push(len < MIN_LEN || entries.length === 0 ? null : segmentsOf(intervalsOfLength(entries, len)));
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

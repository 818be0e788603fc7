/**
 * The in-process DNO snapshot: an immutable, compact structure that answers "is this calling number on a DNO
 * list?" on every INVITE without allocating when the answer is no (DESIGN §7: ≤ 2 µs p99 with 3 million
 * numbers, agent RSS ≤ 150 MB).
 *
 * A snapshot is made of parts, each a list packed on its own (packed-numbers.ts for exact numbers,
 * intervals.ts for prefixes and ranges): the hub's list as the site's cache holds it — with the small deltas
 * since its last build laid over it (overlay.ts) — and the site's local list file. Either part is rebuilt or
 * updated without touching the other, and the NANPA CO table (cotable.ts) answers the unallocated rule.
 *
 * Precedence: one number in several categories (or covered by several entries) resolves to the category that
 * comes first in the decision order of domain.md §2.6 (invalid, unallocated, unassigned, listed) — not to the
 * entry added last, so the answer does not depend on the order lists were merged. Within one category an
 * exact number beats a prefix or range, and a narrower prefix/range beats a wider one; on a full tie the
 * earlier part (the hub's list) wins.
 */
import type { DnoCategory, DnoEntry } from '../../proto/messages.js';
import type { CoTable } from './cotable.js';
import { IntervalTable } from './intervals.js';
import { META_MASK, NumberPacker, PackedNumbers } from './packed-numbers.js';
import { CATEGORY_CODE, CATEGORY_PRECEDENCE, digitsOf, NO_CATEGORY } from './snapshot-codes.js';

export { CATEGORY_PRECEDENCE, digitsOf } from './snapshot-codes.js';

export interface DnoMatch {
  category: DnoCategory;
  entry: DnoEntry;
  /** What matched, for the audit log: 'listed:+12025550100', 'prefix:+1900', 'range:+1…-+1…'. */
  rule: string;
}

export interface SnapshotCounts {
  readonly numbers: number;
  readonly intervals: number;
  readonly coCodes: number;
  /** Numbers (each counted once per part, in the category it resolves to) and intervals, per category. */
  readonly byCategory: Readonly<Record<DnoCategory, number>>;
}

export interface DnoSnapshot {
  /** The hub list version this snapshot was built from (0 before the first sync). */
  readonly version: number;
  /** The hub list's identity (its epoch) that version belongs to; null before the first sync. */
  readonly list: string | null;
  readonly counts: SnapshotCounts;
  /** The winning list entry for an E.164 number, or null. Allocates only on a hit. */
  lookup(e164: string): DnoMatch | null;
  /** The winning entry's category, or null: lookup without building the match. No allocation. */
  categoryOf(e164: string): DnoCategory | null;
  /** The winning entry's rule ('listed:+1202…', 'prefix:+1900'), or null: lookup without building the entry. */
  ruleOf(e164: string): string | null;
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

/** How an entry is written in list files and audit logs: '+12025550100', '+1900*', '+1…00-+1…99'. */
export function targetOf(entry: DnoEntry): string {
  if (entry.number !== undefined) return entry.number;
  if (entry.prefix !== undefined) return `${entry.prefix}*`;
  return `${entry.range!.from}-${entry.range!.to}`;
}

/** The best entry found so far by a lookup; parts write into it, the part that won builds the match. */
export interface Best {
  category: number;
  /** 0 for an exact number, else how many numbers the prefix or range covers at this length. */
  width: number;
  part: SnapshotPart | null;
  /** Which of the part's entries (the part's own numbering). */
  index: number;
}

/** One list in a snapshot. */
export interface SnapshotPart {
  readonly numbers: number;
  readonly intervals: number;
  /** Numbers and intervals per category code. */
  readonly byCategory: readonly number[];
  /** Offer this part's best entry for the number (`len` digits) to `best`, if it beats it. No allocation. */
  consider(digits: number, len: number, best: Best): void;
  /** The match for `best` (which this part won). */
  match(best: Best, e164: string, digits: number): DnoMatch;
  /** Its rule: the same as `match(…).rule`, without the entry. */
  rule(best: Best, e164: string): string;
}

interface Meta {
  reason?: string;
  source?: string;
}

const PLUS = 43;
const ONE = 49;
const ZERO = 48;
/** Meta id stored in the word when the real id needs more than 12 bits: look it up in the overflow map. */
const META_OVERFLOW = 0xfff;
const EXACT = -1;
const FIELD_CATEGORY: Readonly<Record<string, number>> = { i: 0, a: 1, u: 2, l: 3 };
const STAR = 42;

/** A list packed on its own: exact numbers, prefixes and ranges, and the reasons and sources they carry. */
export class ListPart implements SnapshotPart {
  readonly numbers: number;
  readonly intervals: number;
  readonly byCategory: readonly number[];
  /** Exact numbers per category code (byCategory without the intervals). */
  readonly numberCounts: readonly number[];

  constructor(
    readonly packed: PackedNumbers,
    readonly table: IntervalTable,
    private readonly metas: readonly Meta[],
    private readonly overflow: ReadonlyMap<number, number>,
  ) {
    this.numbers = packed.count;
    this.intervals = table.entries.length;
    this.numberCounts = packed.countByCategory();
    const counts = [...this.numberCounts];
    for (let i = 0; i < table.entries.length; i++) counts[table.categories[i]!]!++;
    this.byCategory = counts;
  }

  static readonly EMPTY = new ListPart(PackedNumbers.EMPTY, IntervalTable.EMPTY, [{}], new Map());

  consider(digits: number, len: number, best: Best): void {
    const i = this.packed.first(digits);
    if (i >= 0) offerExact(best, this.packed.categoryAt(i), this, i);
    offerInterval(best, this.table, len, digits, this);
  }

  match(best: Best, e164: string, digits: number): DnoMatch {
    if (best.width > 0) return this.table.matches[best.index]!;
    return this.numberMatch(e164, digits, best.index);
  }

  rule(best: Best, e164: string): string {
    return best.width > 0 ? this.table.matches[best.index]!.rule : exactRule(best.category, e164);
  }

  /** The match of packed word `i` (the number `e164`). */
  numberMatch(e164: string, digits: number, i: number): DnoMatch {
    const code = this.packed.categoryAt(i);
    const category = CATEGORY_PRECEDENCE[code]!;
    const packedMeta = this.packed.metaAt(i);
    const metaId = packedMeta === META_OVERFLOW ? (this.overflow.get(digits * 4 + code) ?? 0) : packedMeta;
    const meta = this.metas[metaId] ?? {};
    const entry: DnoEntry = { number: e164, category };
    if (meta.reason !== undefined) entry.reason = meta.reason;
    if (meta.source !== undefined) entry.source = meta.source;
    return { category, entry, rule: exactRule(code, e164) };
  }
}

/** 'listed:+12025550100' */
export function exactRule(code: number, e164: string): string {
  return `${CATEGORY_PRECEDENCE[code]!}:${e164}`;
}

export function offerExact(best: Best, category: number, part: SnapshotPart, index: number): void {
  if (category < best.category || (category === best.category && best.width > 0)) {
    best.category = category;
    best.width = 0;
    best.part = part;
    best.index = index;
  }
}

export function offerInterval(best: Best, table: IntervalTable, len: number, digits: number, part: SnapshotPart): void {
  const j = table.find(len, digits);
  if (j < 0) return;
  const category = table.categories[j]!;
  if (category > best.category) return;
  const width = table.widthAt(j, len);
  if (category < best.category || width < best.width) {
    best.category = category;
    best.width = width;
    best.part = part;
    best.index = j;
  }
}

/**
 * Accumulates entries (in chunks, or straight from list text as fields: 3 million never exist as objects at
 * once) and packs them into one ListPart.
 */
export class SnapshotBuilder {
  private readonly packer: NumberPacker;
  private readonly metas: Meta[] = [{}];
  private readonly metaIds = new Map<string | undefined, Map<string | undefined, number>>();
  /** digits * 4 + category → meta id, for the rare list with more than 4094 distinct reason/source pairs. */
  private readonly overflow = new Map<number, number>();
  private readonly intervals: DnoEntry[] = [];

  /** `expected`: about how many numbers will come (the size of the list this one replaces is a good guess). */
  constructor(expected = 0) {
    this.packer = new NumberPacker(expected);
  }

  add(entries: Iterable<DnoEntry>): this {
    for (const entry of entries) {
      if (entry.number !== undefined) this.addNumber(entry, entry.number);
      else this.intervals.push(checkInterval(entry));
    }
    return this;
  }

  /**
   * One entry as a cache field (entry-codec.ts: category code + target, e.g. `l12025550100`, `u1900*`): a number
   * is packed without an entry object. Fields come from code that checked them (list text, the cache).
   */
  addField(field: string, reason: string | undefined, source: string | undefined): this {
    const category = FIELD_CATEGORY[field[0]!];
    const digits = category === undefined ? -1 : fieldDigits(field);
    if (digits >= 0) {
      this.pack(digits, category!, reason, source);
      return this;
    }
    return this.add([entryOfField(field, reason, source)]);
  }

  /** Pack into a part. The builder is spent afterwards. */
  part(): ListPart {
    return new ListPart(this.packer.pack(), new IntervalTable(this.intervals), this.metas, this.overflow);
  }

  /** part(), sorting off the event loop (packed-numbers.ts): what a running agent uses. */
  async partOffThread(): Promise<ListPart> {
    return new ListPart(await this.packer.packOffThread(), new IntervalTable(this.intervals), this.metas, this.overflow);
  }

  /** Pack into a snapshot of this list alone. */
  build(opts: SnapshotOptions): DnoSnapshot {
    return composeSnapshot({ ...opts, parts: [this.part()] });
  }

  private addNumber(entry: DnoEntry, number: string): void {
    const digits = digitsOf(number);
    if (digits < 0) throw new SnapshotEntryError(entry, 'number must be + and 1-15 digits');
    this.pack(digits, checkCategory(entry), entry.reason, entry.source);
  }

  private pack(digits: number, category: number, reason: string | undefined, source: string | undefined): void {
    let meta = this.metaId(reason, source);
    if (meta >= META_OVERFLOW) {
      this.overflow.set(digits * 4 + category, meta);
      meta = META_OVERFLOW;
    }
    this.packer.add(digits, category, meta);
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
}

/** The digits of a number field ('l' + 1–15 digits, no leading 0), or -1 for a prefix, a range or junk. */
function fieldDigits(field: string): number {
  const len = field.length;
  if (len < 2 || len > 16 || field.charCodeAt(1) === ZERO) return -1;
  let value = 0;
  for (let i = 1; i < len; i++) {
    const d = field.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function entryOfField(field: string, reason: string | undefined, source: string | undefined): DnoEntry {
  const category = CATEGORY_PRECEDENCE[FIELD_CATEGORY[field[0]!] ?? -1] as DnoCategory;
  const body = field.slice(1);
  const dash = body.indexOf('-');
  const entry: DnoEntry =
    body.charCodeAt(body.length - 1) === STAR
      ? { prefix: `+${body.slice(0, -1)}`, category }
      : dash >= 0
        ? { range: { from: `+${body.slice(0, dash)}`, to: `+${body.slice(dash + 1)}` }, category }
        : { number: `+${body}`, category };
  if (reason !== undefined) entry.reason = reason;
  if (source !== undefined) entry.source = source;
  return entry;
}

export interface SnapshotOptions {
  version: number;
  list?: string | null;
  coAssigned?: CoTable;
}

export function buildSnapshot(entries: Iterable<DnoEntry>, opts: SnapshotOptions): DnoSnapshot {
  return new SnapshotBuilder().add(entries).build(opts);
}

/** A snapshot of these parts: the hub's list first (it wins full ties), then the local list. */
export function composeSnapshot(o: SnapshotOptions & { parts: readonly SnapshotPart[] }): DnoSnapshot {
  return new LayeredSnapshot(o.version, o.list ?? null, o.parts, o.coAssigned ?? null);
}

export function checkCategory(entry: DnoEntry): number {
  const code = CATEGORY_CODE[entry.category];
  if (code === undefined) throw new SnapshotEntryError(entry, `unknown category ${String(entry.category)}`);
  return code;
}

export function checkInterval(entry: DnoEntry): DnoEntry {
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

class LayeredSnapshot implements DnoSnapshot {
  readonly counts: SnapshotCounts;
  /** Reused by every lookup (lookups never overlap): no allocation per call. */
  private readonly best: Best = { category: NO_CATEGORY, width: 0, part: null, index: EXACT };
  private lastNumber: string | null = null;
  private lastDigits = -1;

  constructor(
    readonly version: number,
    readonly list: string | null,
    private readonly parts: readonly SnapshotPart[],
    private readonly co: CoTable | null,
  ) {
    const byCategory = { invalid: 0, unallocated: 0, unassigned: 0, listed: 0 };
    let numbers = 0;
    let intervals = 0;
    for (const part of parts) {
      numbers += part.numbers;
      intervals += part.intervals;
      CATEGORY_PRECEDENCE.forEach((category, code) => (byCategory[category] += part.byCategory[code]!));
    }
    this.counts = { numbers, intervals, coCodes: co?.size ?? 0, byCategory };
  }

  lookup(e164: string): DnoMatch | null {
    const digits = this.find(e164);
    if (digits < 0) return null;
    return this.best.part!.match(this.best, e164, digits);
  }

  categoryOf(e164: string): DnoCategory | null {
    return this.find(e164) < 0 ? null : CATEGORY_PRECEDENCE[this.best.category]!;
  }

  ruleOf(e164: string): string | null {
    return this.find(e164) < 0 ? null : this.best.part!.rule(this.best, e164);
  }

  unallocated(e164: string): string | null {
    const co = this.co;
    if (co === null || e164.length !== 12 || e164.charCodeAt(0) !== PLUS || e164.charCodeAt(1) !== ONE) return null;
    const npa = threeDigits(e164, 2);
    const nxx = threeDigits(e164, 5);
    if (npa < 0 || nxx < 0 || !co.isUnallocated(npa, nxx)) return null;
    return `co:${e164.slice(2, 5)}-${e164.slice(5, 8)}`;
  }

  /** Fill `best` for the number; its digits, or -1 when nothing matched. */
  private find(e164: string): number {
    // The decision asks for the category, then (on a hit) the rule, of one number: answer the second from `best`.
    if (e164 === this.lastNumber) return this.lastDigits;
    const digits = this.search(e164);
    this.lastNumber = e164;
    this.lastDigits = digits;
    return digits;
  }

  private search(e164: string): number {
    const digits = digitsOf(e164);
    if (digits < 0) return -1;
    const best = this.best;
    best.category = NO_CATEGORY;
    best.width = 0;
    best.part = null;
    const len = e164.length - 1;
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) parts[i]!.consider(digits, len, best);
    return best.part === null ? -1 : digits;
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

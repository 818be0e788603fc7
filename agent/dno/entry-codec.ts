/**
 * How the DNO caches store an entry: a short field naming its identity (category + target, see store.ts) and
 * its payload (reason, source) as JSON shared by every entry that has the same payload. One byte of category
 * and no '+' keep 3 million fields small: `l12025550100`, `u1900*`, `i12025550100-12025550199`.
 */
import type { DnoCategory, DnoEntry } from '../../proto/messages.js';

const CODE: Readonly<Record<DnoCategory, string>> = { invalid: 'i', unallocated: 'a', unassigned: 'u', listed: 'l' };
const STAR = 42;
const CATEGORY: Readonly<Record<string, DnoCategory>> = Object.fromEntries(
  Object.entries(CODE).map(([category, code]) => [code, category as DnoCategory]),
);

/** A stored field this code did not write (another version, or a hand edit). */
export class DnoFieldError extends Error {
  override readonly name = 'DnoFieldError';
  constructor(readonly field: string) {
    super(`DNO cache field ${JSON.stringify(field)} does not start with a category code (i, a, u, l)`);
  }
}

/** The one-letter code a field of this category starts with. */
export function categoryCode(category: DnoCategory): string {
  return CODE[category];
}

export type EntryPayload = Pick<DnoEntry, 'reason' | 'source'>;

/** The category a field's code names. */
export function categoryOfField(field: string): DnoCategory {
  const category = CATEGORY[field[0]!];
  if (category === undefined) throw new DnoFieldError(field);
  return category;
}

/** A field's target as list text writes it: '+12025550100', '+1900*', '+13015550100-+13015550199'. */
export function targetOfField(field: string): string {
  const dash = field.indexOf('-');
  return dash < 0 ? `+${field.slice(1)}` : `+${field.slice(1, dash)}-+${field.slice(dash + 1)}`;
}

export function fieldOf(entry: DnoEntry): string {
  const code = CODE[entry.category];
  if (entry.number !== undefined) return code + entry.number.slice(1);
  if (entry.prefix !== undefined) return `${code}${entry.prefix.slice(1)}*`;
  return `${code}${entry.range!.from.slice(1)}-${entry.range!.to.slice(1)}`;
}

/** The field of a target written as text: '+12025550100', '+1900*', '+13015550100-+13015550199'. */
export function fieldOfTarget(category: DnoCategory, target: string): string {
  const dash = target.indexOf('-');
  return CODE[category] + (dash < 0 ? target.slice(1) : `${target.slice(1, dash)}-${target.slice(dash + 2)}`);
}

/** '' when the entry has neither reason nor source. */
export function payloadOf(entry: EntryPayload): string {
  if (entry.reason === undefined && entry.source === undefined) return '';
  return JSON.stringify({ reason: entry.reason, source: entry.source });
}

/** Decodes payload JSON once per distinct payload: a list has few, shared by millions of entries. */
export class EntryDecoder {
  private readonly payloads = new Map<string, EntryPayload>([['', {}]]);

  entryOf(field: string, payload: string): DnoEntry {
    const entry = entryWithTarget(field, categoryOfField(field));
    const { reason, source } = this.payload(payload);
    if (reason !== undefined) entry.reason = reason;
    if (source !== undefined) entry.source = source;
    return entry;
  }

  private payload(json: string): EntryPayload {
    let p = this.payloads.get(json);
    if (p === undefined) {
      const { reason, source } = JSON.parse(json) as EntryPayload;
      p = { ...(reason === undefined ? {} : { reason }), ...(source === undefined ? {} : { source }) };
      this.payloads.set(json, p);
    }
    return p;
  }
}

/** Built field by field, no spreads: entries() decodes millions of these. */
function entryWithTarget(field: string, category: DnoCategory): DnoEntry {
  const last = field.length - 1;
  if (field.charCodeAt(last) === STAR) return { prefix: `+${field.slice(1, last)}`, category };
  const dash = field.indexOf('-');
  if (dash >= 0) return { range: { from: `+${field.slice(1, dash)}`, to: `+${field.slice(dash + 1)}` }, category };
  return { number: `+${field.slice(1)}`, category };
}

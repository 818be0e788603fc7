/**
 * What a DNO entry covers, written as text: '+12025550100' (a number), '+1900*' (a prefix), '+13015550100-+13015550199'
 * (an inclusive range). List files and the sync stream write targets this way; the checks are those of the
 * `DnoEntry` schema, done by hand because a full list has millions of them.
 */
import type { DnoEntry } from './messages.js';

export type DnoTarget = Pick<DnoEntry, 'number' | 'prefix' | 'range'>;

const PLUS = 43;
const ZERO = 48;
const NINE = 57;
const STAR = 42;

/** Is `s[from, to)` '+', a digit 1–9, then 6–14 digits (the E164 schema)? No allocation. */
export function isE164(s: string, from = 0, to = s.length): boolean {
  return isPlusDigits(s, from, to, 7, 15);
}

/** `s[from, to)` is '+', a digit 1–9, then digits: `min`–`max` digits in all. */
function isPlusDigits(s: string, from: number, to: number, min: number, max: number): boolean {
  const digits = to - from - 1;
  if (digits < min || digits > max || s.charCodeAt(from) !== PLUS) return false;
  const lead = s.charCodeAt(from + 1);
  if (lead <= ZERO || lead > NINE) return false;
  for (let i = from + 2; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

/** The target `text` names, or why it names none. */
export function parseTarget(text: string): DnoTarget | string {
  const len = text.length;
  if (len > 0 && text.charCodeAt(len - 1) === STAR) {
    return isPlusDigits(text, 0, len - 1, 1, 15) ? { prefix: text.slice(0, -1) } : 'a prefix is + and 1-15 digits, then *';
  }
  const dash = text.indexOf('-');
  if (dash < 0) return isE164(text) ? { number: text } : 'a number must be E.164, e.g. +12025550143';
  if (!isE164(text, 0, dash) || !isE164(text, dash + 1, len)) return 'a range is two E.164 numbers joined by -';
  const from = text.slice(0, dash);
  const to = text.slice(dash + 1);
  if (from.length !== to.length || from > to) return 'a range needs from and to of equal length and from <= to';
  return { range: { from, to } };
}

/** The text of an entry's target. */
export function targetText(entry: DnoTarget): string {
  if (entry.number !== undefined) return entry.number;
  if (entry.prefix !== undefined) return `${entry.prefix}*`;
  return `${entry.range!.from}-${entry.range!.to}`;
}

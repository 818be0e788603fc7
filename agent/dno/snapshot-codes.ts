/**
 * How the DNO snapshot names categories and numbers: a category is its code in the decision order of
 * domain.md §2.6 (invalid, unallocated, unassigned, listed), a number is its digits as one JS number.
 */
import type { DnoCategory } from '../../proto/messages.js';

/** Decision order of domain.md §2.6; the index is the category's code. */
export const CATEGORY_PRECEDENCE = ['invalid', 'unallocated', 'unassigned', 'listed'] as const satisfies DnoCategory[];
export const CATEGORY_CODE: Readonly<Record<DnoCategory, number>> = { invalid: 0, unallocated: 1, unassigned: 2, listed: 3 };
/** A code after every category: "no match yet". */
export const NO_CATEGORY = 4;

/** E.164 numbers have 7–15 digits (proto/messages.ts `E164`); prefixes and ranges are indexed per length. */
export const MIN_LEN = 7;
export const MAX_LEN = 15;

const PLUS = 43;
const ZERO = 48;

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

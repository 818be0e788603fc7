/**
 * North American Numbering Plan structure rules (domain.md §2.4): `+1 NPA NXX XXXX`, N = 2–9, X = 0–9.
 * Structural only: whether an NPA-NXX is allocated needs NANPA data and is decided elsewhere.
 */
import type { Validity } from './tn.js';

const ZERO = 48;
const ONE = 49;
const NINE = 57;

/** Check 10 national NANP digits; null when structurally valid. */
export function nanpProblem(national10: string): Exclude<Validity, 'valid' | 'non-nanp' | 'unnormalised'> | null {
  if (national10.length !== 10) return 'length';
  for (let i = 0; i < 10; i++) {
    const c = national10.charCodeAt(i);
    if (c < ZERO || c > NINE) return 'length';
  }
  const npa0 = national10.charCodeAt(0);
  if (npa0 === ZERO || npa0 === ONE) return 'npa-0-1';
  // N9X area codes are reserved for expanding the plan beyond 10 digits.
  if (national10.charCodeAt(1) === NINE) return 'npa-n9x';
  if (national10.charCodeAt(1) === ONE && national10.charCodeAt(2) === ONE) return 'npa-n11';
  const nxx0 = national10.charCodeAt(3);
  if (nxx0 === ZERO || nxx0 === ONE) return 'nxx-0-1';
  if (national10.charCodeAt(4) === ONE && national10.charCodeAt(5) === ONE) return 'nxx-n11';
  return null;
}

/** 555-0100…0199 is reserved for fiction: never assigned, so a call from it is spoofed (domain.md §2.4). */
export function isFictional555(national10: string): boolean {
  return national10.length === 10 && national10.startsWith('55501', 3);
}

/** The validity of an E.164 number: NANP rules for +1, 'non-nanp' for every other country code. */
export function validityOf(e164: string): Exclude<Validity, 'unnormalised'> {
  if (e164.charCodeAt(1) !== ONE) return 'non-nanp';
  const national = e164.slice(2);
  return nanpProblem(national) ?? (isFictional555(national) ? 'fictional-555' : 'valid');
}

/**
 * Telephone numbers as CDR fields and SIP headers present them, normalised to E.164 (cdr-formats.md §5) and
 * checked against the NANP rules (domain.md §2.4). Runs on every CDR line and every INVITE: char loops and
 * slices, no regular expressions, and it never throws — junk comes back `unnormalised` with its raw text.
 */
import { validityOf } from './nanp.js';

export { nanpProblem } from './nanp.js';

/**
 * NANP check result for +1 numbers; 'non-nanp' for other country codes; 'unnormalised' when no E.164 could be
 * made. A withheld caller (anonymous) is 'valid': withholding is not invalidity (domain.md §2.6 step 2).
 * 'fictional-555' (555-0100…0199) is structurally valid but never assigned: a flag, not a DNO category.
 */
export type Validity =
  | 'valid'
  | 'length'
  | 'npa-0-1'
  | 'npa-n9x'
  | 'npa-n11'
  | 'nxx-0-1'
  | 'nxx-n11'
  | 'fictional-555'
  | 'non-nanp'
  | 'unnormalised';

export interface Tn {
  /** '+12025550143'; null when anonymous or not normalisable. */
  e164: string | null;
  /** The input as given. */
  raw: string;
  anonymous: boolean;
  /** From `;rn=` (RFC 4694), E.164 when it can be normalised, else as given. */
  lrn?: string;
  /** `;npdi`: the number portability database was already dipped (RFC 4694). */
  npdi?: boolean;
  ext?: string;
  validity: Validity;
}

export interface TrunkRules {
  /** Technical prefixes glued on by a carrier, e.g. 'A02', '3401#': stripped only when configured. */
  stripPrefixes?: readonly string[];
  /** The trunk's area code for 7-digit local numbers. */
  npa?: string;
  /** '00' means international on this trunk. */
  international00?: boolean;
  /** Hints (Ribbon field 115, Metaswitch type=) override guessing. */
  natureOfAddress?: 'e164' | 'national' | 'unknown';
}

const PLUS = 43;
const ZERO = 48;
const ONE = 49;
const NINE = 57;
const DQUOTE = 34;
const BACKSLASH = 92;

/** RFC 3323 / carrier CDR spellings of a withheld caller, compared lower-case with separators removed. */
const ANONYMITY_TOKENS: ReadonlySet<string> = new Set([
  'anonymous', 'restricted', 'unavailable', 'unknown', 'private', 'outofarea', '', '0', '0000000000',
]);
/** Called numbers never blocked unless the operator adds more (domain.md §2.5). */
const EXEMPT_BY_DEFAULT: readonly string[] = ['911', '112'];

/**
 * A number in any shape of cdr-formats.md §5 → E.164 plus its NANP validity. An invalid number is kept and
 * flagged, never dropped: it is evidence of spoofing. `rules` are the ingress trunk's, never guessed.
 */
export function normalise(raw: string, rules?: TrunkRules): Tn {
  const addr = addressOf(raw);
  if (addr.user === null) return { e164: null, raw, anonymous: false, validity: 'unnormalised' };
  const user = splitUser(addr.user);
  let number = compact(user.number);
  if (addr.anonymousHost || isAnonymityToken(number)) return { e164: null, raw, anonymous: true, validity: 'valid' };
  if (rules?.stripPrefixes) number = stripPrefix(number, rules.stripPrefixes);

  const e164 = e164Of(number, user.context, rules, rules?.natureOfAddress);
  const tn: Tn = { e164, raw, anonymous: false, validity: e164 === null ? 'unnormalised' : validityOf(e164) };
  if (user.rn !== undefined) tn.lrn = e164Of(compact(user.rn), undefined, rules, undefined) ?? user.rn;
  if (user.npdi) tn.npdi = true;
  if (user.ext !== undefined) tn.ext = compact(user.ext);
  return tn;
}

/** Convenience for keys: the E.164 or null. */
export function toE164(raw: string, rules?: TrunkRules): string | null {
  return normalise(raw, rules).e164;
}

/**
 * Is this called number an emergency/exempt number (911, 112 by default, + configured extras), in any form an
 * SBC presents (911, +1911, 1911, sip:911@..., tel:911)? Also `urn:service:sos…` (RFC 5031 emergency URNs).
 * Extras are short codes as dialled ('933', '988').
 */
export function isEmergency(raw: string, extra?: readonly string[]): boolean {
  const fast = plainEmergency(raw, extra);
  if (fast !== undefined) return fast;
  const addr = addressOf(raw);
  if (addr.user === null) return false;
  if (addr.scheme === 'urn') return isSosUrn(addr.user);
  let digits = compact(splitUser(addr.user).number);
  if (digits.charCodeAt(0) === PLUS) digits = digits.slice(1);
  if (!isDigits(digits, 0)) return false;
  // +1911 and 1911: the country code or the NANP trunk prefix in front of the short code.
  const short = digits.charCodeAt(0) === ONE ? digits.slice(1) : digits;
  return isExempt(digits, extra) || isExempt(short, extra);
}

const AT = 64;
const SEMICOLON = 59;
const QUESTION = 63;

/**
 * The E.164 form of the shapes nearly every CDR number has — 10 digits (NPA not 0), 11 digits starting with 1,
 * or '+' and 7–15 digits — exactly as `normalise` makes it, without its full parse and NANP validity (which a
 * call record does not keep); null for any other shape, or when trunk rules could change it. `noa` overrides
 * the trunk's nature of address (passed apart: no rules object per record). test/agent/cdr/assemble.test.ts
 * checks the two agree on every digit string.
 */
export function plainE164(text: string, trunk: TrunkRules | undefined, noa: TrunkRules['natureOfAddress']): string | null {
  if (trunk?.stripPrefixes !== undefined) return null;
  const length = text.length;
  const first = text.charCodeAt(0);
  // A national or unknown nature of address reads these shapes as guessing does; an international one reads
  // digits without '+' as a country code first.
  if ((noa ?? trunk?.natureOfAddress) === 'e164' && first !== PLUS) return null;
  let from: number;
  if (first === PLUS) {
    if (length < 8 || length > 16 || text.charCodeAt(1) === ZERO) return null;
    from = 1;
  } else if (length === 10) {
    if (first === ZERO) return null; // 0000000000 is an anonymity token
    from = 0;
  } else if (length === 11 && first === ONE) from = 0;
  else return null;
  for (let i = from; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return null;
  }
  return first === PLUS ? text : length === 10 ? `+1${text}` : `+${text}`;
}

/**
 * isEmergency for the forms an SBC sends on nearly every INVITE — '+13125550117', 'sip:+1312…@host;user=phone',
 * 'tel:+1312…;…' — read in place, without allocating (the policy server asks on every DNO hit). Undefined for
 * any other form (display names, escapes, separators, other schemes): then the full parse decides.
 */
function plainEmergency(raw: string, extra: readonly string[] | undefined): boolean | undefined {
  // Which characters may end the number: as addressOf + splitUser read each form.
  let from = 0;
  let ends: 'sip' | 'tel' | 'bare' = 'bare';
  const colon = schemeEnd(raw);
  if (colon >= 0) {
    ends = isScheme(raw, colon, 'sip') || isScheme(raw, colon, 'sips') ? 'sip' : isScheme(raw, colon, 'tel') ? 'tel' : 'bare';
    if (ends === 'bare') return undefined;
    from = colon + 1;
  }
  if (raw.charCodeAt(from) === PLUS) from++;
  let end = from;
  while (end < raw.length && raw.charCodeAt(end) >= ZERO && raw.charCodeAt(end) <= NINE) end++;
  if (end === from) return undefined;
  const stop = end < raw.length ? raw.charCodeAt(end) : -1;
  const clean =
    ends === 'sip' ? stop === AT : ends === 'tel' ? stop === -1 || stop === SEMICOLON || stop === QUESTION : stop === -1 || stop === AT || stop === SEMICOLON;
  if (!clean) return undefined;
  // The country code or the NANP trunk prefix may stand before the short code (+1911, 1911).
  const shortFrom = raw.charCodeAt(from) === ONE ? from + 1 : from;
  return isExemptAt(raw, from, end, extra) || (shortFrom > from && isExemptAt(raw, shortFrom, end, extra));
}

function isScheme(raw: string, colon: number, scheme: string): boolean {
  if (colon !== scheme.length) return false;
  for (let i = 0; i < colon; i++) if ((raw.charCodeAt(i) | 0x20) !== scheme.charCodeAt(i)) return false;
  return true;
}

/** isExempt for raw[from, end), without slicing it out. */
function isExemptAt(raw: string, from: number, end: number, extra: readonly string[] | undefined): boolean {
  for (const code of EXEMPT_BY_DEFAULT) if (sameText(raw, from, end, code)) return true;
  if (extra !== undefined) for (let i = 0; i < extra.length; i++) if (sameText(raw, from, end, extra[i]!)) return true;
  return false;
}

function sameText(raw: string, from: number, end: number, code: string): boolean {
  if (end - from !== code.length) return false;
  for (let i = 0; i < code.length; i++) if (raw.charCodeAt(from + i) !== code.charCodeAt(i)) return false;
  return true;
}

function isExempt(code: string, extra: readonly string[] | undefined): boolean {
  return EXEMPT_BY_DEFAULT.includes(code) || (extra !== undefined && extra.includes(code));
}

/** `service:sos` and its sub-services (`service:sos.police`). */
function isSosUrn(user: string): boolean {
  const rest = user.toLowerCase();
  if (!rest.startsWith('service:sos')) return false;
  const next = rest.charAt(11);
  return next === '' || next === '.' || next === ';';
}

/**
 * Step 5 of cdr-formats.md §5, in its order; a nature-of-address hint replaces the guessing. Every result goes
 * through `asE164`, which also refuses non-digits, so what comes out normalises to itself.
 */
function e164Of(
  number: string,
  context: string | undefined,
  rules: TrunkRules | undefined,
  noa: TrunkRules['natureOfAddress'],
): string | null {
  if (number.charCodeAt(0) === PLUS) return asE164(number);
  const len = number.length;
  const first = number.charCodeAt(0);
  if (noa === 'e164') return asE164('+' + number);
  if (noa === 'national') {
    if (len === 11 && first === ONE) return asE164('+' + number);
    if (len === 7 && rules?.npa !== undefined) return asE164('+1' + rules.npa + number);
    return asE164('+1' + number);
  }
  if (len > 11 && number.startsWith('011')) return asE164('+' + number.slice(3));
  if (len === 11 && first === ONE) return asE164('+' + number);
  if (len === 10) return asE164('+1' + number);
  if (context !== undefined) {
    // RFC 3966 §5.1.5: a local number is completed by a global phone-context ('+1202'); a domain name is not global.
    const global = compact(context);
    if (global.charCodeAt(0) === PLUS) return asE164(global + number);
  }
  if (rules?.international00 && len > 2 && number.startsWith('00')) return asE164('+' + number.slice(2));
  if (len === 7 && rules?.npa !== undefined) return asE164('+1' + rules.npa + number);
  return null;
}

/** `+` and 7–15 digits, the first not 0 (ITU-T E.164; same bounds as proto/messages.ts `E164`). */
function asE164(candidate: string): string | null {
  const digits = candidate.length - 1;
  if (digits < 7 || digits > 15 || candidate.charCodeAt(1) === ZERO) return null;
  return isDigits(candidate, 1) ? candidate : null;
}

function isDigits(s: string, from: number): boolean {
  if (s.length <= from) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

function isAnonymityToken(number: string): boolean {
  const first = number.charCodeAt(0);
  // Numbers (the common case) start with + or 1–9: skip the lower-casing.
  if (number.length > 11 || first === PLUS || (first > ZERO && first <= NINE)) return false;
  return ANONYMITY_TOKENS.has(number.toLowerCase());
}

/** Longest configured prefix wins, so 'A0' and 'A02' can both be configured without depending on order. */
function stripPrefix(number: string, prefixes: readonly string[]): string {
  let best = 0;
  for (const p of prefixes) {
    if (p.length > best && p.length <= number.length && number.slice(0, p.length).toUpperCase() === p.toUpperCase()) {
      best = p.length;
    }
  }
  return best === 0 ? number : number.slice(best);
}

/** Drop the visual separators of RFC 3966 (`- . ( )`) and whitespace, including folded header lines. */
function compact(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (isSeparator(s.charCodeAt(i))) {
      out += s.slice(from, i);
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

function isSeparator(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 40 || c === 41 || c === 9 || c === 10 || c === 13;
}

interface Address {
  /** Lower-case scheme, '' when there is none. */
  scheme: string;
  /** The user part with its `;` parameters, percent-decoded once; null when a SIP URI has no user part. */
  user: string | null;
  /** RFC 3323 §4.1.1.3: the host `anonymous.invalid` marks a withheld identity whatever the user part says. */
  anonymousHost: boolean;
}

/** Step 1: drop the display name, `<>`, header parameters, scheme and `@host`; decode `%XX` once. */
function addressOf(raw: string): Address {
  let spec = raw;
  if (raw.indexOf('<') >= 0) {
    const open = angleOpen(raw);
    if (open >= 0) {
      const close = raw.indexOf('>', open + 1);
      spec = raw.slice(open + 1, close < 0 ? raw.length : close);
    }
  }
  spec = spec.trim();
  const colon = schemeEnd(spec);
  const scheme = colon < 0 ? '' : spec.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') {
    const at = spec.indexOf('@', colon + 1);
    if (at < 0) return { scheme, user: null, anonymousHost: false };
    // A password (`user:secret@host`) is not part of the number.
    const pw = spec.indexOf(':', colon + 1);
    const user = spec.slice(colon + 1, pw >= 0 && pw < at ? pw : at);
    return { scheme, user: percentDecode(user), anonymousHost: isAnonymousHost(spec, at + 1) };
  }
  if (scheme === 'tel' || scheme === 'urn') {
    const q = spec.indexOf('?', colon + 1);
    return { scheme, user: percentDecode(spec.slice(colon + 1, q < 0 ? spec.length : q)), anonymousHost: false };
  }
  // No scheme: a bare number, or `user@host` as some CDRs log it.
  const at = spec.indexOf('@');
  if (at < 0) return { scheme, user: percentDecode(spec), anonymousHost: false };
  return { scheme, user: percentDecode(spec.slice(0, at)), anonymousHost: isAnonymousHost(spec, at + 1) };
}

/** The `<` of a name-addr, skipping a quoted display name with `\"` escapes (RFC 3261 §25.1). */
function angleOpen(s: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quoted) {
      if (c === BACKSLASH) i++;
      else if (c === DQUOTE) quoted = false;
    } else if (c === DQUOTE) quoted = true;
    else if (c === 60) return i;
  }
  return -1;
}

/** Index of the `:` ending a 3–4 letter scheme (sip, sips, tel, urn), else -1. */
function schemeEnd(s: string): number {
  const end = Math.min(s.length, 5);
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) return i >= 3 ? i : -1;
    const lower = c | 0x20;
    if (lower < 97 || lower > 122) return -1;
  }
  return -1;
}

const ANONYMOUS_HOST = 'anonymous.invalid';

function isAnonymousHost(spec: string, from: number): boolean {
  const end = from + ANONYMOUS_HOST.length;
  if (spec.length < end || spec.slice(from, end).toLowerCase() !== ANONYMOUS_HOST) return false;
  const next = spec.charAt(end);
  return next === '' || next === ';' || next === ':' || next === '?' || next === '>';
}

/** Decode `%XX` escapes exactly once (`%252B` stays `%2B`); a malformed escape is kept as text. */
function percentDecode(s: string): string {
  let i = s.indexOf('%');
  if (i < 0) return s;
  let out = '';
  let from = 0;
  while (i >= 0) {
    const hi = hexValue(s.charCodeAt(i + 1));
    const lo = hexValue(s.charCodeAt(i + 2));
    if (hi >= 0 && lo >= 0) {
      out += s.slice(from, i) + String.fromCharCode(hi * 16 + lo);
      from = i + 3;
      i = s.indexOf('%', from);
    } else {
      i = s.indexOf('%', i + 1);
    }
  }
  return out + s.slice(from);
}

function hexValue(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

interface UserPart {
  number: string;
  rn?: string;
  npdi?: boolean;
  ext?: string;
  context?: string;
}

/** Step 2: the number and the parameters hoptrace keeps (RFC 3966 ext, phone-context; RFC 4694 rn, npdi). */
function splitUser(user: string): UserPart {
  let semi = user.indexOf(';');
  if (semi < 0) return { number: user };
  const part: UserPart = { number: user.slice(0, semi) };
  while (semi >= 0) {
    const start = semi + 1;
    semi = user.indexOf(';', start);
    const end = semi < 0 ? user.length : semi;
    const eq = user.indexOf('=', start);
    const nameEnd = eq >= 0 && eq < end ? eq : end;
    const name = user.slice(start, nameEnd).trim().toLowerCase();
    const value = nameEnd < end ? user.slice(nameEnd + 1, end).trim() : '';
    if (name === 'npdi') part.npdi = true;
    else if (value === '') continue;
    else if (name === 'rn') part.rn = value;
    else if (name === 'ext') part.ext = value;
    else if (name === 'phone-context') part.context = value;
  }
  return part;
}

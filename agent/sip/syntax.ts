/**
 * Generic header-value syntax shared by Via, name-addr and the header section (RFC 3261 §7.3.1, §25.1).
 * Strings are latin1 views of the message bytes: one char per byte, so nothing here assumes valid UTF-8.
 */

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") (RFC 3261 §25.1). */
export const TOKEN_CHARS_CLASS = "A-Za-z0-9\\-.!%*_+`'~";
export const TOKEN = `[${TOKEN_CHARS_CLASS}]+`;
const TOKEN_ONLY = new RegExp(`^${TOKEN}$`);
const TOKEN_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (TOKEN_ONLY.test(String.fromCharCode(c))) TOKEN_CHARS[c] = 1;

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1;
}

export function isToken(s: string): boolean {
  return TOKEN_ONLY.test(s);
}

/** SP or HTAB: after unfolding, the only linear white space left in a header value. */
export function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

export function skipWsp(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Trims SP and HTAB only. String.prototype.trim would also strip U+00A0, which in a latin1 view is
 * the last byte of many UTF-8 characters (e.g. "à" = C3 A0).
 */
export function trimWsp(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isWsp(s.charCodeAt(start))) start++;
  while (end > start && isWsp(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

const QUOTED_STRING = /"(?:[^"\\]|\\[\s\S])*"/y;

/** Index just past the quoted-string opening at s[i] (a `"`), honouring `\\` quoted-pairs; -1 if unterminated. */
export function quotedEnd(s: string, i: number): number {
  QUOTED_STRING.lastIndex = i;
  return QUOTED_STRING.test(s) ? QUOTED_STRING.lastIndex : -1;
}

/**
 * Splits a comma-separated header value into trimmed elements (RFC 3261 §7.3.1: a list may come joined
 * or as several lines). Commas inside "…" or <…> do not split. Empty elements are kept so that a
 * caller can reject `a,,b`; an unterminated quote or `<` keeps the rest as one element. Linear in the
 * length: each search resumes where the last one stopped.
 */
export function splitList(value: string): string[] {
  if (value.indexOf(',') < 0) return [trimWsp(value)];
  const out: string[] = [];
  let start = 0;
  let pos = 0;
  let quote = value.indexOf('"');
  let angle = value.indexOf('<');
  for (;;) {
    const comma = value.indexOf(',', pos);
    if (comma < 0) break;
    if (quote >= 0 && quote < pos) quote = value.indexOf('"', pos);
    if (angle >= 0 && angle < pos) angle = value.indexOf('<', pos);
    const open = quote < 0 ? angle : angle < 0 ? quote : Math.min(quote, angle);
    if (open < 0 || open > comma) {
      out.push(trimWsp(value.slice(start, comma)));
      start = pos = comma + 1;
    } else {
      const close = open === quote ? quotedEnd(value, open) : value.indexOf('>', open) + 1;
      if (close <= 0) break;
      pos = close;
    }
  }
  out.push(trimWsp(value.slice(start)));
  return out;
}

/**
 * Parses header parameters `*( ";" name [ "=" value ] )` starting at s[from], LWS allowed around
 * `;` and `=` (wsinv). Names are lower-cased (they are case-insensitive); values are kept as written,
 * a quoted-string value with its quotes. Empty parameters (`;;`) are skipped. Returns undefined when
 * anything but parameters follows, or a name is not a token.
 */
export function parseParams(s: string, from: number): Map<string, string | null> | undefined {
  // Most parameter lists hold no white space and no quoted string: split them at ';' and '='.
  if (s.indexOf(' ', from) < 0 && s.indexOf('\t', from) < 0 && s.indexOf('"', from) < 0) {
    return from === s.length || s.charCodeAt(from) === 59 ? splitParams(s, from) : undefined;
  }
  const params = new Map<string, string | null>();
  let i = skipWsp(s, from);
  while (i < s.length) {
    if (s.charCodeAt(i) !== 59 /* ; */) return undefined;
    i = skipWsp(s, i + 1);
    const nameStart = i;
    while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWsp(s, i);
    let value: string | null = null;
    if (s.charCodeAt(i) === 61 /* = */) {
      i = skipWsp(s, i + 1);
      if (s.charCodeAt(i) === 34) {
        const end = quotedEnd(s, i);
        if (end < 0) return undefined;
        value = s.slice(i, end);
        i = skipWsp(s, end);
      } else {
        const semi = s.indexOf(';', i);
        const end = semi < 0 ? s.length : semi;
        value = trimWsp(s.slice(i, end));
        i = end;
      }
    }
    if (name.length === 0) {
      if (value !== null) return undefined;
      continue;
    }
    params.set(name, value);
  }
  return params;
}

/**
 * `;name[=value]…` from s[from] (a ';' or the end) split at each ';' and the first '=', names
 * lower-cased, empty parameters skipped. With `decode` (URI parameters) names and values are decoded
 * by it and never refused; without, a name that is not a token makes the list undefined.
 */
export function splitParams(s: string, from: number, decode?: (part: string) => string): Map<string, string | null> | undefined {
  const params = new Map<string, string | null>();
  let i = from;
  let equals = s.indexOf('=', from);
  while (i < s.length) {
    let next = s.indexOf(';', i + 1);
    if (next < 0) next = s.length;
    if (equals >= 0 && equals < i) equals = s.indexOf('=', i);
    const eq = equals < next ? equals : -1;
    let name = s.slice(i + 1, eq < 0 ? next : eq);
    let value = eq < 0 ? null : s.slice(eq + 1, next);
    if (decode) {
      name = decode(name);
      if (value !== null) value = decode(value);
    } else if (!(isToken(name) || (name.length === 0 && value === null))) {
      return undefined;
    }
    if (name.length > 0) params.set(name.toLowerCase(), value);
    i = next;
  }
  return params;
}

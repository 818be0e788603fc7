/** The header section: lines → raw values by lower-cased long name (RFC 3261 §7.3). */
import { isToken, isWsp, trimWsp } from './syntax.js';

/**
 * Raw values by lower-cased long header name (compact forms mapped); a repeated header keeps one entry
 * per line, in order. A Map, not an object: header names are the sender's, so none may collide with
 * Object.prototype (`__proto__`, `constructor`), and Map inserts are the cheaper ones on the hot path.
 */
export type SipHeaders = ReadonlyMap<string, readonly string[]>;

/** Compact forms (RFC 3261 §7.3.3 and the extensions that define one; `y` = Identity, RFC 8224). */
const COMPACT: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

/**
 * Names the hot path meets, matched in place so that the common case allocates no name string;
 * any other token name is lower-cased.
 */
const KNOWN_BY_LENGTH: string[][] = [];
for (const name of [
  ...Object.values(COMPACT),
  'allow', 'accept', 'authorization', 'cseq', 'date', 'diversion', 'expires', 'history-info', 'max-forwards',
  'min-se', 'p-asserted-identity', 'p-charging-vector', 'p-preferred-identity', 'privacy', 'proxy-authorization',
  'proxy-require', 'reason', 'record-route', 'require', 'route', 'user-agent',
]) {
  (KNOWN_BY_LENGTH[name.length] ??= []).push(name);
}

export interface HeaderSection {
  headers: SipHeaders;
  /** The first malformed line, named for a 400 reason phrase; the other lines are still parsed. */
  fault?: string;
  /** Index just past the empty line that ends the section (the body's start); -1 when there is none. */
  end: number;
}

/**
 * Splits the header lines of `text` from index `from` up to the empty line. A line starting with
 * SP/HTAB continues the previous value: the white space around the CRLF becomes one SP (§7.3.1).
 * Names may be followed by white space before the colon and are matched case-insensitively.
 */
export function splitHeaders(text: string, from: number): HeaderSection {
  const headers = new Map<string, string[]>();
  let fault: string | undefined;
  let end = -1;
  let name = '';
  let value = '';
  let pos = from;
  let colon = text.indexOf(':', from);
  while (pos < text.length) {
    let eol = text.indexOf('\r\n', pos);
    if (eol === pos) {
      end = pos + 2;
      break;
    }
    if (eol < 0) eol = text.length;
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) {
      const more = trimWsp(text.slice(pos, eol));
      if (!name) fault ??= 'Malformed header line';
      else if (more) value = value ? `${value} ${more}` : more;
    } else {
      if (name) add(headers, name, value);
      // Each search resumes where the last stopped: lines without a colon cannot make this quadratic.
      if (colon >= 0 && colon < pos) colon = text.indexOf(':', pos);
      name = colon >= 0 && colon < eol ? headerName(text, pos, colon) : '';
      if (name) value = slice(text, colon + 1, eol);
      else fault ??= 'Malformed header line';
    }
    pos = eol + 2;
  }
  if (name) add(headers, name, value);
  return fault === undefined ? { headers, end } : { headers, fault, end };
}

function add(headers: Map<string, string[]>, name: string, value: string): void {
  const values = headers.get(name);
  if (values) values.push(value);
  else headers.set(name, [value]);
}

/** text[start, end) without surrounding SP/HTAB. */
function slice(text: string, start: number, end: number): string {
  while (start < end && isWsp(text.charCodeAt(start))) start++;
  while (end > start && isWsp(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** The long lower-case name of text[start, end) (white space before the colon allowed); '' if not a token. */
function headerName(text: string, start: number, end: number): string {
  while (end > start && isWsp(text.charCodeAt(end - 1))) end--;
  const length = end - start;
  if (length === 1) {
    const compact = COMPACT[String.fromCharCode(text.charCodeAt(start) | 32)];
    if (compact) return compact;
  }
  for (const known of KNOWN_BY_LENGTH[length] ?? []) if (sameName(text, start, known)) return known;
  const name = text.slice(start, end);
  return isToken(name) ? name.toLowerCase() : '';
}

/** Case-insensitive match of text at `start` against a lower-case name. */
function sameName(text: string, start: number, known: string): boolean {
  for (let i = 0; i < known.length; i++) {
    const c = text.charCodeAt(start + i);
    const k = known.charCodeAt(i);
    if (c !== k && !(k >= 97 && k <= 122 && (c | 32) === k)) return false;
  }
  return true;
}

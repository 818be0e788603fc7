/**
 * SIP/SIPS (RFC 3261 §19.1) and tel (RFC 3966) URIs. Any other scheme is kept opaque, so that an
 * `isbn:` To or a `name:` Contact (RFC 4475 unksm2) never breaks the parser. The grammar is matched
 * with anchored regular expressions: on the hot path they beat character loops by a wide margin.
 */
import { splitParams } from './syntax.js';

export interface SipUri {
  /** Lower-case: sip | sips | tel | any other scheme (kept opaque: only scheme, params (empty) and raw). */
  scheme: string;
  /**
   * sip/sips: the user part, %-decoded once (may hold `;` parameters: RFC 4475 semiuri); the password
   * is not kept. tel: the number as written, visual separators included (`+1-202-555-0143`).
   */
  user?: string;
  host?: string;
  port?: number;
  /** URI parameters: names lower-cased and, like the values, %-decoded once. */
  params: Map<string, string | null>;
  /** The `?` header part, as written (still escaped). */
  headers?: string;
  raw: string;
}

/** A host name, an IPv4 address or a bracketed IPv6 reference (`_` tolerated: some carriers' internal names). */
export const HOST = String.raw`\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+`;

/** No URI holds raw SP, controls, `"`, `<` or `>`. */
const URIC = String.raw`[^\x00-\x20\x7f"<>]`;

/**
 * A sip/sips URI, unanchored so that name-addr can embed it; groups: scheme, user, host, port, params,
 * headers. The first '@' ends the userinfo: '@' cannot appear unescaped after it (RFC 3261 §25.1),
 * while '?' and ';' can appear in the user part (RFC 4475 intmeth, semiuri).
 */
export const SIP_URI_PATTERN = String.raw`(sips?):(?:([^@:\x00-\x20\x7f"<>]+)(?::[^@\x00-\x20\x7f"<>]*)?@)?(${HOST})(?::([0-9]{1,5}))?((?:;[^?\x00-\x20\x7f"<>]*)?)(?:\?(${URIC}*))?`;
const SIP_URI = new RegExp(`^${SIP_URI_PATTERN}$`, 'i');
const TEL_URI = new RegExp(String.raw`^tel:([^;\x00-\x20\x7f"<>]+)((?:;${URIC}*)?)$`, 'i');
/** RFC 3966 §5.1: a global number is "+" digits; a local one (hex digits, `*`, `#`) needs a phone-context. */
const GLOBAL_NUMBER = /^\+[0-9().-]*[0-9][0-9().-]*$/;
const LOCAL_NUMBER = /^[0-9A-Fa-f*#().-]*[0-9A-Fa-f*#][0-9A-Fa-f*#().-]*$/;
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1). */
const OTHER_URI = new RegExp(String.raw`^([A-Za-z][A-Za-z0-9+.-]*):${URIC}*$`);

/** Parses a URI; undefined when it is not a URI (bad scheme, white space) or a malformed sip/sips/tel one. */
export function parseUri(s: string): SipUri | undefined {
  const c = s.charCodeAt(0) | 32;
  if (c === 115 /* s */) {
    const m = SIP_URI.exec(s);
    if (m) return sipUriOf(m, 1, s);
    if (/^sips?:/i.test(s)) return undefined;
  } else if (c === 116 /* t */) {
    const m = TEL_URI.exec(s);
    if (m) {
      const uri = new ParsedUri('tel', m[1], undefined, undefined, m[2] as string, undefined, s);
      const number = m[1] as string;
      return GLOBAL_NUMBER.test(number) || (LOCAL_NUMBER.test(number) && uri.params.has('phone-context')) ? uri : undefined;
    }
    if (/^tel:/i.test(s)) return undefined;
  }
  const m = OTHER_URI.exec(s);
  return m ? new ParsedUri((m[1] as string).toLowerCase(), undefined, undefined, undefined, '', undefined, s) : undefined;
}

/** The SipUri of a SIP_URI_PATTERN match whose scheme is group `at`; undefined for a port above 65535. */
export function sipUriOf(m: RegExpExecArray, at: number, raw: string): SipUri | undefined {
  const port = m[at + 3] === undefined ? undefined : Number(m[at + 3]);
  if (port !== undefined && port > 65535) return undefined;
  const user = m[at + 1];
  const scheme = (m[at] as string).length === 3 ? 'sip' : 'sips';
  return new ParsedUri(scheme, user === undefined ? undefined : percentDecode(user), m[at + 2], port, m[at + 4] as string, m[at + 5], raw);
}

/** Parameters are split on first use: most URIs on the hot path are read for their user part only. */
class ParsedUri implements SipUri {
  private paramMap: Map<string, string | null> | undefined = undefined;

  constructor(
    readonly scheme: string,
    readonly user: string | undefined,
    readonly host: string | undefined,
    readonly port: number | undefined,
    private readonly paramText: string,
    readonly headers: string | undefined,
    readonly raw: string,
  ) {}

  get params(): Map<string, string | null> {
    return (this.paramMap ??= splitParams(this.paramText, 0, percentDecode) as Map<string, string | null>);
  }
}

/**
 * Decodes %HH escapes exactly once (RFC 4475 esc01: `value%25%34%31` is `value%41`, not `valueA`);
 * a `%` not followed by two hex digits stays as is. Decoded bytes become latin1 chars like the rest.
 */
function percentDecode(s: string): string {
  let pct = s.indexOf('%');
  if (pct < 0) return s;
  let out = '';
  let from = 0;
  while (pct >= 0) {
    const hi = hexValue(s.charCodeAt(pct + 1));
    const lo = hexValue(s.charCodeAt(pct + 2));
    if (hi >= 0 && lo >= 0) {
      out += s.slice(from, pct) + String.fromCharCode(hi * 16 + lo);
      from = pct + 3;
    }
    pct = s.indexOf('%', hi >= 0 && lo >= 0 ? pct + 3 : pct + 1);
  }
  return out + s.slice(from);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1): From, To, Contact,
 * P-Asserted-Identity, Route values.
 */
import { TOKEN_CHARS_CLASS, parseParams, trimWsp } from './syntax.js';
import { SIP_URI_PATTERN, parseUri, sipUriOf, type SipUri } from './uri.js';

export interface NameAddr {
  /** Display name: a quoted one unescaped (`\"` → `"`), a token one as written; absent when there is none. */
  display?: string;
  uri: SipUri;
  /** Header parameters (e.g. `tag`): names lower-cased, values as written. */
  params: Map<string, string | null>;
  raw: string;
}

/**
 * [ display-name ] "<" URI ">": a quoted string, or tokens separated by white space (RFC 4475 baddn
 * has a comma); the missing LWS before "<" is tolerated (RFC 4475 lwsdisp).
 */
const DISPLAY = String.raw`(?:"((?:[^"\\]|\\[\s\S])*)"[ \t]*|([${TOKEN_CHARS_CLASS} \t]+))?`;
const NAME_ADDR = new RegExp(`^${DISPLAY}<([^>]*)>`);
/** The common case, a sip/sips URI inside <>, in one match instead of two. */
const NAME_ADDR_SIP = new RegExp(`^${DISPLAY}<(${SIP_URI_PATTERN})>`, 'i');

/** Parses one name-addr or addr-spec; undefined when malformed (unterminated quote, spaces inside <>, …). */
export function parseNameAddr(s: string): NameAddr | undefined {
  const raw = trimWsp(s);
  const sip = NAME_ADDR_SIP.exec(raw);
  const m = sip ?? NAME_ADDR.exec(raw);
  let display: string | undefined;
  let uri: SipUri | undefined;
  let paramsFrom: number;
  if (m) {
    display = m[1] !== undefined ? unescapeQuoted(m[1]) : m[2] !== undefined ? trimWsp(m[2]) : undefined;
    uri = sip ? sipUriOf(sip, 4, sip[3] as string) : parseUri(m[3] as string);
    paramsFrom = m[0].length;
  } else if (raw.indexOf('<') >= 0) {
    return undefined;
  } else {
    // Without <>, everything after the first ';' is a header parameter, not a URI one (RFC 3261 §20.10).
    const semi = raw.indexOf(';');
    uri = parseUri(semi < 0 ? raw : trimWsp(raw.slice(0, semi)));
    paramsFrom = semi < 0 ? raw.length : semi;
  }
  if (!uri) return undefined;
  const params = parseParams(raw, paramsFrom);
  return params ? { display, uri, params, raw } : undefined;
}

function unescapeQuoted(s: string): string {
  return s.indexOf('\\') < 0 ? s : s.replace(/\\([\s\S])/g, '$1');
}

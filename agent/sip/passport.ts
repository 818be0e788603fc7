/**
 * The SIP Identity header (RFC 8224 §4.1) and the PASSporT it carries (RFC 8225, SHAKEN claims RFC 8588):
 * split the token from its parameters, decode the JWS header and claims. Pure; no verification here
 * (identity.ts). Malformed input comes back as a PassportError value, never thrown.
 */

/** One Identity header value: `token;info=<url>;alg=…;ppt=…`. */
export interface IdentityHeader {
  /** The compact JWS `header.claims.signature` (claims empty in the compact form, RFC 8224 §4.1). */
  token: string;
  /** The `info` URL without its angle brackets. */
  info?: string;
  alg?: string;
  ppt?: string;
}

export interface PassportHeader {
  alg?: string;
  typ?: string;
  ppt?: string;
  x5u?: string;
}

/** SHAKEN claims as signed; a field of the wrong JSON type is absent. */
export interface PassportClaims {
  attest?: string;
  /** orig.tn: E.164 digits without '+'. */
  origTn?: string;
  /** dest.tn: every called number. */
  destTns: string[];
  /** Signing time, epoch seconds (a JSON number: RFC 8588 erratum 6656). */
  iat?: number;
  origid?: string;
}

export interface Passport {
  header: PassportHeader;
  /** undefined for the compact form, whose claims the verifier rebuilds from the SIP message (RFC 8225 §7). */
  claims: PassportClaims | undefined;
  /** ASCII `header.claims` as signed (RFC 7515 §5.2). */
  signingInput: string;
  signature: Buffer;
}

export class PassportError extends Error {
  override readonly name = 'PassportError';
  constructor(readonly reason: string) {
    super(`bad Identity: ${reason}`);
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const DIGITS = /^[0-9]{1,15}$/;

/** Splits an Identity header value; the `info` URL may hold ';' inside its angle brackets. */
export function parseIdentityHeader(value: string): IdentityHeader | PassportError {
  const text = value.trim();
  const semi = text.indexOf(';');
  const token = (semi < 0 ? text : text.slice(0, semi)).trim();
  if (!/^[A-Za-z0-9_.-]+$/.test(token)) return new PassportError('the token is not base64url JWS');
  const header: IdentityHeader = { token };
  let at = semi;
  while (at >= 0 && at < text.length) {
    const eq = text.indexOf('=', at + 1);
    const nextSemi = text.indexOf(';', at + 1);
    if (eq < 0 || (nextSemi >= 0 && nextSemi < eq)) {
      // A parameter without a value: no meaning for us, skip it.
      at = nextSemi;
      continue;
    }
    const name = text.slice(at + 1, eq).trim().toLowerCase();
    let start = eq + 1;
    while (text[start] === ' ' || text[start] === '\t') start++;
    const close = text[start] === '<' ? text.indexOf('>', start) : text[start] === '"' ? text.indexOf('"', start + 1) : -2;
    if (close === -1) return new PassportError(`unterminated ${name} parameter`);
    const end = close === -2 ? (nextSemi < 0 ? text.length : nextSemi) : close + 1;
    const raw = text.slice(start, end).trim();
    const unwrapped = close === -2 ? raw : raw.slice(1, -1);
    if (name === 'info') {
      if (close === -2 || text[start] !== '<') return new PassportError('info is not an <URL>');
      header.info = unwrapped;
    } else if (name === 'alg') header.alg = unwrapped;
    else if (name === 'ppt') header.ppt = unwrapped;
    at = text.indexOf(';', end);
  }
  return header;
}

/** Decodes the JWS compact serialization; the signature must be the 64-byte raw r‖s of ES256 (RFC 7518 §3.4). */
export function decodePassport(token: string): Passport | PassportError {
  const parts = token.split('.');
  if (parts.length !== 3) return new PassportError(`the token has ${parts.length} parts, expected 3`);
  const [h, c, s] = parts as [string, string, string];
  const header = decodeJson(h, 'header');
  if (header instanceof PassportError) return header;
  let claims: PassportClaims | undefined;
  if (c !== '') {
    const json = decodeJson(c, 'claims');
    if (json instanceof PassportError) return json;
    claims = claimsOf(json);
  }
  if (!BASE64URL.test(s)) return new PassportError('the signature is not base64url');
  const signature = Buffer.from(s, 'base64url');
  if (signature.length !== 64) return new PassportError(`the signature has ${signature.length} bytes, expected 64 (ES256)`);
  return {
    header: { alg: str(header.alg), typ: str(header.typ), ppt: str(header.ppt), x5u: str(header.x5u) },
    claims,
    signingInput: `${h}.${c}`,
    signature,
  };
}

function decodeJson(part: string, what: string): Record<string, unknown> | PassportError {
  if (part === '' || !BASE64URL.test(part)) return new PassportError(`the ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return new PassportError(`the ${what} is not JSON`);
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : new PassportError(`the ${what} is not a JSON object`);
}

function claimsOf(json: Record<string, unknown>): PassportClaims {
  const orig = json.orig as { tn?: unknown } | undefined;
  const dest = json.dest as { tn?: unknown } | undefined;
  const destTn = typeof dest === 'object' && dest !== null ? dest.tn : undefined;
  return {
    attest: str(json.attest),
    origTn: typeof orig === 'object' && orig !== null ? tn(orig.tn) : undefined,
    // RFC 8225 §5.2.1: an array; a bare string is a common signer mistake, read it as one number.
    destTns: (Array.isArray(destTn) ? destTn : [destTn]).map(tn).filter((t): t is string => t !== undefined),
    iat: typeof json.iat === 'number' && Number.isInteger(json.iat) ? json.iat : undefined,
    origid: str(json.origid),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A TN claim: digits, a leading '+' tolerated (signers add it against RFC 8225 §8.3's canonical form). */
function tn(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const digits = v.startsWith('+') ? v.slice(1) : v;
  return DIGITS.test(digits) ? digits : undefined;
}

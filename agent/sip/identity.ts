/**
 * STIR/SHAKEN identity of a learned call (domain.md §4.5): the Identity headers of its INVITE decoded,
 * checked against the call and verified against the local certificate directory, as the IdentityInfo a hop
 * answer carries. Every call source that sees an INVITE uses it. No I/O: certificates come from memory.
 *
 * Stored evidence, not a live verifier: `iat` is compared with the time the call was seen (not with now),
 * and the signer is reported even when verification fails, with the first failed check as the reason.
 */
import { verify } from 'node:crypto';
import type { IdentityInfo } from '../../proto/messages.js';
import type { CallRecord } from '../calls/record.js';
import type { StiCertificate } from './certs.js';
import { decodePassport, type Passport, PassportError, parseIdentityHeader, type PassportClaims } from './passport.js';

export interface CallFacts {
  /** Calling and called number, E.164 ('+' optional) or as received. */
  calling: string;
  called: string;
  /** When the call was seen, epoch milliseconds. */
  at: number;
}

export interface IdentityOptions {
  /** The local certificate directory (certs.ts CertDirectory); without it nothing verifies. */
  certs?: { get(x5u: string): StiCertificate | undefined };
  /** Largest |iat − call time| accepted; live verifiers use 60 s (ATIS-1000074 §5.3.1). Default 60. */
  maxSkewSec?: number;
}

const DEFAULT_MAX_SKEW_SEC = 60;

/**
 * The call's SHAKEN identity from its Identity header lines (one PASSporT each): the first that verifies,
 * else the first SHAKEN one with its failure reason. undefined when none is a readable SHAKEN PASSporT with
 * an attestation: unsigned, `div` only (RFC 8946), or compact form (its claims hold no `attest`).
 */
export function identityOf(lines: readonly string[], call: CallFacts, opts: IdentityOptions = {}): IdentityInfo | undefined {
  let first: IdentityInfo | undefined;
  for (const line of lines) {
    const info = shakenIdentity(line, call, opts);
    if (info?.verified) return info;
    first ??= info;
  }
  return first;
}

type Shaken = Passport & { claims: PassportClaims & { attest: 'A' | 'B' | 'C' } };

function shakenIdentity(line: string, call: CallFacts, opts: IdentityOptions): IdentityInfo | undefined {
  const header = parseIdentityHeader(line);
  if (header instanceof PassportError) return undefined;
  const passport = decodePassport(header.token);
  if (passport instanceof PassportError) return undefined;
  if ((passport.header.ppt ?? header.ppt) !== 'shaken') return undefined;
  const attest = passport.claims?.attest;
  if (attest !== 'A' && attest !== 'B' && attest !== 'C') return undefined;
  const shaken = passport as Shaken;

  const x5u = shaken.header.x5u;
  const cert = x5u !== undefined ? opts.certs?.get(x5u) : undefined;
  const reason = failure(shaken, header.info, header.alg, header.ppt, cert, call, opts);
  const origid = shaken.claims.origid;
  const signer = cert?.spc ?? cert?.commonName ?? hostOf(x5u ?? header.info);
  return {
    attest,
    ...(origid !== undefined && { origid: origid.slice(0, 128) }),
    ...(signer !== undefined && { signer: signer.slice(0, 256) }),
    verified: reason === undefined,
    ...(reason !== undefined && { reason }),
  };
}

/** The first failed check, in the order of domain.md §4.5; undefined when everything holds. */
function failure(
  p: Shaken,
  info: string | undefined,
  paramAlg: string | undefined,
  paramPpt: string | undefined,
  cert: StiCertificate | undefined,
  call: CallFacts,
  opts: IdentityOptions,
): string | undefined {
  const { header, claims } = p;
  if (header.alg !== 'ES256') return `alg is ${header.alg ?? 'missing'}, expected ES256`;
  if (paramAlg !== undefined && paramAlg !== 'ES256') return `the alg parameter is ${paramAlg}, expected ES256`;
  if (paramPpt !== undefined && paramPpt !== header.ppt) return `the ppt parameter ${paramPpt} differs from the PASSporT's`;
  if (header.x5u === undefined) return 'no x5u';
  if (info === undefined) return 'no info parameter';
  if (header.x5u !== info) return 'x5u differs from info';
  if (!header.x5u.startsWith('https://')) return 'x5u is not an https URL';
  if (claims.iat === undefined) return 'no iat';
  if (!opts.certs) return 'no certificate directory configured';
  if (!cert) return 'certificate not in the local directory';
  if (cert.chain === 'untrusted') return 'certificate does not chain to a trusted STI-CA';
  const iatMs = claims.iat * 1000;
  if (iatMs < cert.notBefore || iatMs > cert.notAfter) return 'certificate not valid at iat';
  if (cert.key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return 'certificate key is not P-256';
  if (!verify('sha256', Buffer.from(p.signingInput, 'latin1'), { key: cert.key, dsaEncoding: 'ieee-p1363' }, p.signature)) {
    return 'signature does not verify';
  }
  if (claims.origTn !== digitsOf(call.calling)) return `orig.tn ${claims.origTn ?? 'missing'} is not the calling number`;
  if (!claims.destTns.includes(digitsOf(call.called))) return 'dest.tn does not hold the called number';
  const skewSec = Math.round(Math.abs(call.at - iatMs) / 1000);
  const maxSkewSec = opts.maxSkewSec ?? DEFAULT_MAX_SKEW_SEC;
  if (skewSec > maxSkewSec) return `iat is ${skewSec} s from the call time (max ${maxSkewSec} s)`;
  return undefined;
}

/** Canonical TN form of RFC 8225 §8.3: digits only, no '+'. */
function digitsOf(tn: string): string {
  return tn.startsWith('+') ? tn.slice(1) : tn;
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/** Sets the record's identity from its INVITE's Identity lines, when one is a SHAKEN PASSporT. */
export function attachIdentity(record: CallRecord, lines: readonly string[], opts: IdentityOptions): void {
  if (lines.length === 0) return;
  const identity = identityOf(lines, record, opts);
  if (identity) record.identity = identity;
}

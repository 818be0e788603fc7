/**
 * Signed envelopes (DESIGN §5): every hub↔agent message is a compact JWS (RFC 7515 §7.1), alg EdDSA
 * (RFC 8037), whose payload carries the claims `v iss aud iat jti typ` and the message as `body`.
 * Hop answers keep their JWS as evidence, so `verifyOffline` checks one years later without clocks or jtis.
 */
import { randomUUID, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import type { KeyPair } from './keys.js';
import { PROTOCOL_VERSION } from './version.js';

export const JWS_TYPE = 'hoptrace+jws';
const ALG = 'EdDSA';
const DEFAULT_SKEW_SEC = 300;

export type EnvelopeErrorCode =
  | 'malformed'
  | 'bad-alg'
  | 'unknown-key'
  | 'bad-signature'
  | 'bad-version'
  | 'wrong-audience'
  | 'wrong-type'
  | 'expired'
  | 'not-yet-valid'
  | 'replayed';

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
  constructor(readonly code: EnvelopeErrorCode, readonly reason: string) {
    super(`${code}: ${reason}`);
  }
}

export interface SignOptions {
  iss: string;
  aud: string;
  typ: string;
  key: KeyPair;
  /** Signing time in ms (default: now). */
  now?: number;
}

export interface Claims {
  v: number;
  iss: string;
  aud: string;
  /** Seconds since the epoch. */
  iat: number;
  jti: string;
  typ: string;
}

export interface Verified<T = unknown> {
  header: { alg: string; kid: string };
  claims: Claims;
  body: T;
  jws: string;
}

/** Resolve the sender's public key(s) by issuer and kid; several may be valid at once (key rotation overlap). */
export type KeyResolver = (iss: string, kid: string) => Promise<readonly KeyObject[]> | readonly KeyObject[];

/**
 * Records jtis seen; returns false when already seen (replay). The jti must be kept until at least
 * `expiresAtMs`: after that the envelope is refused as expired anyway. Implementations: memory (here), Redis.
 */
export interface JtiStore {
  remember(jti: string, expiresAtMs: number): Promise<boolean>;
}

export interface VerifyOptions {
  aud: string;
  typ?: string;
  keys: KeyResolver;
  jti?: JtiStore;
  /** Verification time in ms (default: now). */
  now?: number;
  /** Accepted clock difference either way, seconds (default 300, DESIGN §5). */
  skewSec?: number;
}

export function sign(body: unknown, opts: SignOptions): string {
  if (body === undefined) throw new TypeError('envelope body must be a JSON value, got undefined');
  const header = { alg: ALG, kid: opts.key.kid, typ: JWS_TYPE };
  const claims: Claims & { body: unknown } = {
    v: PROTOCOL_VERSION,
    iss: opts.iss,
    aud: opts.aud,
    iat: Math.floor((opts.now ?? Date.now()) / 1000),
    jti: randomUUID(),
    typ: opts.typ,
    body,
  };
  const input = `${segment(header)}.${segment(claims)}`;
  return `${input}.${edSign(null, Buffer.from(input, 'ascii'), opts.key.privateKey).toString('base64url')}`;
}

/**
 * Checks, in order: structure, alg, key, signature, version, audience, type, time, and last the jti, so that
 * only an authentic envelope can record its jti. Errors from `keys` or `jti` (a store outage) propagate as is.
 */
export async function verify<T = unknown>(jws: string, opts: VerifyOptions): Promise<Verified<T>> {
  const parsed = parseCompact(jws);
  requireAlg(parsed);
  const { iss, v, aud, typ, iat, jti } = parsed.verified.claims;
  const keys = await opts.keys(iss, parsed.verified.header.kid);
  await requireSignatureOffThread(parsed, keys, `iss "${iss}" kid "${parsed.verified.header.kid}"`);

  if (v !== PROTOCOL_VERSION) throw new EnvelopeError('bad-version', `v is ${v}, this side speaks ${PROTOCOL_VERSION}`);
  if (aud !== opts.aud) throw new EnvelopeError('wrong-audience', `aud is "${aud}", expected "${opts.aud}"`);
  if (opts.typ !== undefined && typ !== opts.typ) {
    throw new EnvelopeError('wrong-type', `typ is "${typ}", expected "${opts.typ}"`);
  }
  const skewSec = opts.skewSec ?? DEFAULT_SKEW_SEC;
  const nowSec = (opts.now ?? Date.now()) / 1000;
  const allowed = `more than the ${skewSec} s allowed`;
  if (iat < nowSec - skewSec) throw new EnvelopeError('expired', `iat is ${Math.round(nowSec - iat)} s ago, ${allowed}`);
  if (iat > nowSec + skewSec) {
    throw new EnvelopeError('not-yet-valid', `iat is ${Math.round(iat - nowSec)} s ahead, ${allowed}`);
  }
  // One second past the last instant the iat check accepts, so stores that round to seconds stay safe.
  if (opts.jti && !(await opts.jti.remember(jti, (iat + skewSec + 1) * 1000))) {
    throw new EnvelopeError('replayed', `jti ${jti} was already seen`);
  }
  return parsed.verified as Verified<T>;
}

/** Structure, alg and signature against any of `publicKeys`: for stored evidence, where time has moved on. */
export function verifyOffline<T = unknown>(jws: string, publicKeys: readonly KeyObject[]): Verified<T> {
  const parsed = parseCompact(jws);
  requireAlg(parsed);
  requireSignature(parsed, publicKeys, 'this evidence');
  return parsed.verified as Verified<T>;
}

/** Decode without verifying (for showing evidence). */
export function decode(jws: string): Verified {
  return parseCompact(jws).verified;
}

/**
 * Memory jti store for one process. Expired jtis are swept at most every `sweepEveryMs`, so memory stays
 * proportional to the envelopes of the last skew window, and each `remember` is O(1) amortised.
 */
export class MemoryJtiStore implements JtiStore {
  private readonly seen = new Map<string, number>();
  private readonly clock: () => number;
  private readonly sweepEveryMs: number;
  private nextSweepAt: number;

  constructor(opts: { clock?: () => number; sweepEveryMs?: number } = {}) {
    this.clock = opts.clock ?? Date.now;
    this.sweepEveryMs = opts.sweepEveryMs ?? 30_000;
    this.nextSweepAt = this.clock() + this.sweepEveryMs;
  }

  get size(): number {
    return this.seen.size;
  }

  async remember(jti: string, expiresAtMs: number): Promise<boolean> {
    const now = this.clock();
    if (now >= this.nextSweepAt) this.sweep(now);
    // A jti still held is a replay even if its expiry passed: the envelope's iat refuses it anyway.
    if (this.seen.has(jti)) return false;
    this.seen.set(jti, expiresAtMs);
    return true;
  }

  private sweep(now: number): void {
    for (const [jti, expiresAtMs] of this.seen) if (expiresAtMs < now) this.seen.delete(jti);
    this.nextSweepAt = now + this.sweepEveryMs;
  }
}

// ---- compact serialisation ----

interface Parsed {
  verified: Verified;
  signingInput: Buffer;
  signature: Buffer;
}

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function parseCompact(jws: unknown): Parsed {
  if (typeof jws !== 'string') throw malformed(`a compact JWS is a string, got ${typeof jws}`);
  const parts = jws.split('.');
  if (parts.length !== 3) throw malformed(`a compact JWS has 3 dot-separated parts, got ${parts.length}`);
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = jsonObject(headerPart, 'header');
  const payload = jsonObject(payloadPart, 'payload');
  const signature = base64url(signaturePart, 'signature');

  const alg = text(header, 'header', 'alg');
  const kid = text(header, 'header', 'kid');
  // RFC 7515 §4.1.11: extensions we do not understand must be refused, and we understand none.
  if ('crit' in header) throw malformed('header.crit names extensions this side does not support');
  const claims: Claims = {
    v: numeric(payload, 'payload', 'v'),
    iss: text(payload, 'payload', 'iss'),
    aud: text(payload, 'payload', 'aud'),
    iat: numeric(payload, 'payload', 'iat'),
    jti: text(payload, 'payload', 'jti'),
    typ: text(payload, 'payload', 'typ'),
  };
  if (!('body' in payload)) throw malformed('payload.body is missing');
  return {
    verified: { header: { alg, kid }, claims, body: payload.body, jws },
    signingInput: Buffer.from(`${headerPart}.${payloadPart}`, 'ascii'),
    signature,
  };
}

/** Canonical base64url only, so one envelope has exactly one spelling. */
function base64url(part: string, what: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  if (!BASE64URL.test(part) || bytes.toString('base64url') !== part) throw malformed(`${what} is not base64url`);
  return bytes;
}

function jsonObject(part: string, what: string): Record<string, unknown> {
  if (part === '') throw malformed(`${what} is empty`);
  const json = base64url(part, what).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw malformed(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function text(obj: Record<string, unknown>, what: string, name: string): string {
  const value = obj[name];
  if (typeof value !== 'string' || value === '') throw malformed(`${what}.${name} must be a non-empty string`);
  return value;
}

function numeric(obj: Record<string, unknown>, what: string, name: string): number {
  const value = obj[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`${what}.${name} must be a number`);
  return value;
}

function malformed(reason: string): EnvelopeError {
  return new EnvelopeError('malformed', reason);
}

// ---- checks shared by verify and verifyOffline ----

/** Never 'none', never an HMAC alg a public key could be abused as the secret for (RFC 8725 §2.1, §3.1). */
function requireAlg({ verified }: Parsed): void {
  const { alg } = verified.header;
  if (alg !== ALG) throw new EnvelopeError('bad-alg', `alg is "${alg}", only ${ALG} is accepted`);
}

function requireSignature({ signingInput, signature }: Parsed, keys: readonly KeyObject[], whose: string): void {
  if (!usableKeys(keys, whose).some((k) => edVerify(null, signingInput, k, signature))) throw badSignature(whose);
}

/**
 * The same check on libuv's thread pool: an Ed25519 verification is ≈ 110 µs of CPU, ≈ 20 µs of it left on the
 * event loop this way — the hub verifies every answer and poll, and its event loop is what bounds its rate.
 */
async function requireSignatureOffThread({ signingInput, signature }: Parsed, keys: readonly KeyObject[], whose: string): Promise<void> {
  for (const key of usableKeys(keys, whose)) {
    const ok = await new Promise<boolean>((resolve, reject) =>
      edVerify(null, signingInput, key, signature, (err, valid) => (err ? reject(err) : resolve(valid))),
    );
    if (ok) return;
  }
  throw badSignature(whose);
}

function usableKeys(keys: readonly KeyObject[], whose: string): KeyObject[] {
  const usable = keys.filter((k) => k.asymmetricKeyType === 'ed25519');
  if (usable.length === 0) throw new EnvelopeError('unknown-key', `no Ed25519 public key for ${whose}`);
  return usable;
}

function badSignature(whose: string): EnvelopeError {
  return new EnvelopeError('bad-signature', `signature does not verify with any key for ${whose}`);
}

import { createHash, createHmac, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decode,
  EnvelopeError,
  MemoryJtiStore,
  sign,
  verify,
  verifyOffline,
  type KeyResolver,
  type SignOptions,
} from '../../proto/envelope.js';
import {
  generateKeyPair,
  KeyError,
  keyPairFromPrivateKey,
  privateKeyFromPem,
  privateKeyToPem,
  publicKeyFromRaw,
  publicKeyToRaw,
  type KeyPair,
} from '../../proto/keys.js';
import { ProviderKey } from '../../proto/messages.js';
import { PROTOCOL_VERSION } from '../../proto/version.js';

const hubKey = generateKeyPair();
const otherKey = generateKeyPair();
const NOW = Date.parse('2025-06-01T12:00:00Z');
const body = { queryId: 'q-1', note: 'aaaa' };

function opts(over: Partial<SignOptions> = {}): SignOptions {
  return { iss: 'hub', aud: 'carrier-a', typ: 'hop-query', key: hubKey, now: NOW, ...over };
}

/** Resolves `iss` + kid to the given public keys, and nothing else. */
function resolver(iss: string, pairs: readonly KeyPair[]): KeyResolver {
  return (i, kid) => (i === iss ? pairs.filter((p) => p.kid === kid).map((p) => p.publicKey) : []);
}

const hubKeys = resolver('hub', [hubKey]);

async function refusal(jws: string, over: Partial<Parameters<typeof verify>[1]> = {}): Promise<EnvelopeError> {
  const err = await verify(jws, { aud: 'carrier-a', keys: hubKeys, now: NOW, ...over }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnvelopeError);
  return err as EnvelopeError;
}

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A compact JWS with any header and payload, signed by `signer` (raw signature bytes when given a function). */
function forge(header: object, payload: object, signer: KeyObject | ((input: string) => Buffer)): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = typeof signer === 'function' ? signer(input) : edSign(null, Buffer.from(input), signer);
  return `${input}.${sig.toString('base64url')}`;
}

function claimsOf(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function headerOf(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('sign and verify', () => {
  it('round-trips the body with the protocol claims and an EdDSA header', async () => {
    const jws = sign(body, opts());
    const v = await verify<typeof body>(jws, { aud: 'carrier-a', typ: 'hop-query', keys: hubKeys, now: NOW });
    expect(v.body).toEqual(body);
    expect(v.header).toEqual({ alg: 'EdDSA', kid: hubKey.kid });
    expect(v.claims).toMatchObject({ v: PROTOCOL_VERSION, iss: 'hub', aud: 'carrier-a', typ: 'hop-query' });
    expect(v.claims.iat).toBe(Math.floor(NOW / 1000));
    expect(v.claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(v.jws).toBe(jws);
    expect(headerOf(jws)).toEqual({ alg: 'EdDSA', kid: hubKey.kid, typ: 'hoptrace+jws' });
  });

  it('gives every envelope its own jti', () => {
    expect(claimsOf(sign(body, opts())).jti).not.toBe(claimsOf(sign(body, opts())).jti);
  });

  it('looks the key up by the issuer and the header kid', async () => {
    const asked: string[] = [];
    await verify(sign(body, opts()), {
      aud: 'carrier-a',
      now: NOW,
      keys: (iss, kid) => (asked.push(`${iss}/${kid}`), [hubKey.publicKey]),
    });
    expect(asked).toEqual([`hub/${hubKey.kid}`]);
  });

  it('verifies with the real clock when no time is given', async () => {
    const v = await verify(sign(body, opts({ now: undefined })), { aud: 'carrier-a', keys: hubKeys });
    expect(v.body).toEqual(body);
  });

  it('refuses to sign an undefined body', () => {
    expect(() => sign(undefined, opts())).toThrow('envelope body must be a JSON value, got undefined');
  });
});

describe('verify refuses', () => {
  it('a payload with one byte flipped: bad-signature', async () => {
    const [h, p, s] = sign(body, opts()).split('.') as [string, string, string];
    const bytes = Buffer.from(p, 'base64url');
    const at = bytes.indexOf('aaaa');
    bytes[at] = (bytes[at] ?? 0) ^ 0x02; // 'a' -> 'c': still valid JSON, different body
    const err = await refusal(`${h}.${bytes.toString('base64url')}.${s}`);
    expect(err.code).toBe('bad-signature');
    expect(err.message).toBe(`bad-signature: signature does not verify with any key for iss "hub" kid "${hubKey.kid}"`);
  });

  it('a header changed after signing: bad-signature', async () => {
    const [, p, s] = sign(body, opts()).split('.') as [string, string, string];
    const header = b64({ alg: 'EdDSA', kid: hubKey.kid, typ: 'JWT' });
    expect((await refusal(`${header}.${p}.${s}`)).code).toBe('bad-signature');
  });

  it('a message signed by another key under the same kid: bad-signature', async () => {
    const forged = sign(body, opts({ key: { ...otherKey, kid: hubKey.kid } }));
    expect((await refusal(forged)).code).toBe('bad-signature');
  });

  it('an unknown kid or issuer: unknown-key', async () => {
    const unknownKid = await refusal(sign(body, opts({ key: otherKey })));
    expect(unknownKid.code).toBe('unknown-key');
    expect(unknownKid.message).toBe(`unknown-key: no Ed25519 public key for iss "hub" kid "${otherKey.kid}"`);
    expect((await refusal(sign(body, opts({ iss: 'stranger' })))).code).toBe('unknown-key');
  });

  it('a resolved key that is not Ed25519: unknown-key', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expect((await refusal(sign(body, opts()), { keys: () => [ec] })).code).toBe('unknown-key');
  });

  it('another protocol version: bad-version', async () => {
    const claims = { ...claimsOf(sign(body, opts())), v: PROTOCOL_VERSION + 1 };
    const err = await refusal(forge({ alg: 'EdDSA', kid: hubKey.kid }, claims, hubKey.privateKey));
    expect(err.code).toBe('bad-version');
    expect(err.message).toBe(`bad-version: v is ${PROTOCOL_VERSION + 1}, this side speaks ${PROTOCOL_VERSION}`);
  });

  it('a message for another audience: wrong-audience', async () => {
    const err = await refusal(sign(body, opts({ aud: 'carrier-b' })));
    expect(err.code).toBe('wrong-audience');
    expect(err.message).toBe('wrong-audience: aud is "carrier-b", expected "carrier-a"');
  });

  it('a message of another type when a type is asked for: wrong-type', async () => {
    const err = await refusal(sign(body, opts({ typ: 'dno-delta' })), { typ: 'hop-query' });
    expect(err.code).toBe('wrong-type');
    expect(err.message).toBe('wrong-type: typ is "dno-delta", expected "hop-query"');
  });

  it('a message signed 6 minutes ago: expired; 6 minutes ahead: not-yet-valid', async () => {
    const old = await refusal(sign(body, opts({ now: NOW - 6 * 60_000 })));
    expect(old.code).toBe('expired');
    expect(old.message).toBe('expired: iat is 360 s ago, more than the 300 s allowed');
    const ahead = await refusal(sign(body, opts({ now: NOW + 6 * 60_000 })));
    expect(ahead.code).toBe('not-yet-valid');
    expect(ahead.message).toBe('not-yet-valid: iat is 360 s ahead, more than the 300 s allowed');
  });

  it('accepts clocks up to the skew apart either way, and honours a narrower skew', async () => {
    const verifyAt = (signedAt: number, skewSec?: number) =>
      verify(sign(body, opts({ now: signedAt })), { aud: 'carrier-a', keys: hubKeys, now: NOW, skewSec });
    await expect(verifyAt(NOW - 300_000)).resolves.toMatchObject({ body });
    await expect(verifyAt(NOW + 300_000)).resolves.toMatchObject({ body });
    expect((await refusal(sign(body, opts({ now: NOW - 61_000 })), { skewSec: 60 })).code).toBe('expired');
  });

  it('the same envelope twice: replayed', async () => {
    const jti = new MemoryJtiStore();
    const jws = sign(body, opts({ now: undefined }));
    await verify(jws, { aud: 'carrier-a', keys: hubKeys, jti });
    const err = await refusal(jws, { jti, now: undefined });
    expect(err.code).toBe('replayed');
    expect(err.message).toBe(`replayed: jti ${String(claimsOf(jws).jti)} was already seen`);
    const fresh = sign(body, opts({ now: undefined }));
    await expect(verify(fresh, { aud: 'carrier-a', keys: hubKeys, jti })).resolves.toMatchObject({ body });
  });

  it.each([
    ['none', (): Buffer => Buffer.alloc(0)],
    // The classic confusion: the verifier's public key used as an HMAC secret (RFC 8725 §2.1).
    ['HS256', (input: string): Buffer => createHmac('sha256', publicKeyToRaw(hubKey.publicKey)).update(input).digest()],
    ['ES256', (input: string): Buffer => edSign(null, Buffer.from(input), hubKey.privateKey)],
  ])('alg %s: bad-alg', async (alg, signer) => {
    const jws = forge({ alg, kid: hubKey.kid }, claimsOf(sign(body, opts())), signer);
    const err = await refusal(jws);
    expect(err.code).toBe('bad-alg');
    expect(err.message).toBe(`bad-alg: alg is "${alg}", only EdDSA is accepted`);
  });

  const good = sign(body, opts());
  const [gh, gp, gs] = good.split('.') as [string, string, string];
  const goodClaims = claimsOf(good);
  const { body: _omit, ...claimsWithoutBody } = goodClaims;
  it.each([
    ['an empty string', '', 'a compact JWS has 3 dot-separated parts, got 1'],
    ['one part', 'garbage', 'a compact JWS has 3 dot-separated parts, got 1'],
    ['four parts', `${good}.x`, 'a compact JWS has 3 dot-separated parts, got 4'],
    ['a non-string', 42 as unknown as string, 'a compact JWS is a string, got number'],
    ['an empty header', `.${gp}.${gs}`, 'header is empty'],
    ['a header that is not base64url', `${gh}!.${gp}.${gs}`, 'header is not base64url'],
    ['a header that is not JSON', `${b64('{alg')}.${gp}.${gs}`, 'header is not JSON'],
    ['a header that is a JSON array', `${b64([1])}.${gp}.${gs}`, 'header is not a JSON object'],
    ['a header without kid', `${b64({ alg: 'EdDSA' })}.${gp}.${gs}`, 'header.kid must be a non-empty string'],
    [
      'a header with crit',
      `${b64({ alg: 'EdDSA', kid: 'k', crit: ['exp'] })}.${gp}.${gs}`,
      'header.crit names extensions this side does not support',
    ],
    ['a payload that is JSON null', `${gh}.${b64('null')}.${gs}`, 'payload is not a JSON object'],
    ['a payload with iat as a string', `${gh}.${b64({ ...goodClaims, iat: '1' })}.${gs}`, 'payload.iat must be a number'],
    ['a payload without iss', `${gh}.${b64({ ...goodClaims, iss: undefined })}.${gs}`, 'payload.iss must be a non-empty string'],
    ['a payload without body', `${gh}.${b64(claimsWithoutBody)}.${gs}`, 'payload.body is missing'],
    ['a signature with padding', `${good}=`, 'signature is not base64url'],
  ])('%s: malformed', async (_what, jws, reason) => {
    const err = await refusal(jws);
    expect(err.code).toBe('malformed');
    expect(err.message).toBe(`malformed: ${reason}`);
  });

  it('a signature spelled with non-canonical base64url: malformed', async () => {
    // 64 bytes = 86 characters; the last carries 4 unused bits, which canonical encoding leaves zero.
    const last = gs.at(-1) ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1] ?? 'A';
    expect(Buffer.from(gs.slice(0, -1) + twin, 'base64url')).toEqual(Buffer.from(gs, 'base64url'));
    expect((await refusal(`${gh}.${gp}.${gs.slice(0, -1)}${twin}`)).code).toBe('malformed');
  });

  it('passes a key store failure through instead of calling the key unknown', async () => {
    const outage = new Error('redis down');
    await expect(
      verify(good, { aud: 'carrier-a', now: NOW, keys: () => Promise.reject(outage) }),
    ).rejects.toBe(outage);
  });
});

describe('key rotation', () => {
  const oldKey = generateKeyPair('2024-key');
  const newKey = generateKeyPair('2025-key');
  const both: KeyResolver = (iss) => (iss === 'carrier-a' ? [newKey.publicKey, oldKey.publicKey] : []);

  it('accepts a message signed by either key while both are registered', async () => {
    for (const key of [oldKey, newKey]) {
      const jws = sign(body, { iss: 'carrier-a', aud: 'hub', typ: 'hop-answer', key, now: NOW });
      await expect(verify(jws, { aud: 'hub', keys: both, now: NOW })).resolves.toMatchObject({ body });
    }
  });

  it('refuses a message signed by a key that is no longer registered', async () => {
    const jws = sign(body, { iss: 'carrier-a', aud: 'hub', typ: 'hop-answer', key: oldKey, now: NOW });
    const err = await refusal(jws, { aud: 'hub', keys: () => [newKey.publicKey] });
    expect(err.code).toBe('bad-signature');
  });
});

describe('jti bookkeeping', () => {
  it('a forged message does not burn the jti of the genuine one', async () => {
    const jti = new MemoryJtiStore({ clock: () => NOW });
    const genuine = sign(body, opts());
    const forged = forge(headerOf(genuine), claimsOf(genuine), otherKey.privateKey);
    expect((await refusal(forged, { jti })).code).toBe('bad-signature');
    expect(jti.size).toBe(0);
    await expect(verify(genuine, { aud: 'carrier-a', keys: hubKeys, jti, now: NOW })).resolves.toMatchObject({ body });
    expect(jti.size).toBe(1);
  });

  it('an authentic message refused for its audience or age records nothing', async () => {
    const jti = new MemoryJtiStore({ clock: () => NOW });
    await refusal(sign(body, opts({ aud: 'carrier-b' })), { jti });
    await refusal(sign(body, opts({ now: NOW - 3_600_000 })), { jti });
    expect(jti.size).toBe(0);
  });

  it('asks the store to keep the jti until the message would be refused as expired anyway', async () => {
    const kept: number[] = [];
    const store = { remember: async (_jti: string, expiresAtMs: number) => (kept.push(expiresAtMs), true) };
    const jws = sign(body, opts());
    await verify(jws, { aud: 'carrier-a', keys: hubKeys, jti: store, now: NOW, skewSec: 60 });
    const iatMs = Number(claimsOf(jws).iat) * 1000;
    expect(kept).toHaveLength(1);
    expect(kept[0]).toBeGreaterThan(iatMs + 60_000);
    const afterward = (kept[0] ?? 0) + 1_000;
    await expect(verify(jws, { aud: 'carrier-a', keys: hubKeys, now: afterward, skewSec: 60 })).rejects.toThrow(/^expired:/);
  });

  it('MemoryJtiStore reports a second sighting as a replay', async () => {
    const store = new MemoryJtiStore();
    expect(await store.remember('j1', Date.now() + 60_000)).toBe(true);
    expect(await store.remember('j1', Date.now() + 60_000)).toBe(false);
    expect(await store.remember('j2', Date.now() + 60_000)).toBe(true);
  });

  it('MemoryJtiStore sweeps expired jtis and keeps live ones', async () => {
    let now = NOW;
    const store = new MemoryJtiStore({ clock: () => now, sweepEveryMs: 1_000 });
    for (let i = 0; i < 1_000; i++) await store.remember(`old-${i}`, now + 500);
    await store.remember('live', now + 10_000);
    expect(store.size).toBe(1_001);
    now += 2_000;
    await store.remember('next', now + 10_000);
    expect(store.size).toBe(2);
    expect(await store.remember('live', now + 10_000)).toBe(false);
    expect(await store.remember('old-1', now + 10_000)).toBe(true);
  });
});

describe('verifyOffline and decode', () => {
  const signedLongAgo = sign(body, opts({ now: Date.parse('2020-01-01T00:00:00Z') }));

  it('verifyOffline checks the signature of old evidence without clocks or jtis', () => {
    const v = verifyOffline<typeof body>(signedLongAgo, [otherKey.publicKey, hubKey.publicKey]);
    expect(v.body).toEqual(body);
    expect(v.claims.iss).toBe('hub');
  });

  it('verifyOffline refuses tampering, wrong keys, no keys and alg none', () => {
    const [h, p] = signedLongAgo.split('.') as [string, string, string];
    const badSignature = 'bad-signature: signature does not verify with any key for this evidence';
    expect(() => verifyOffline(signedLongAgo, [otherKey.publicKey])).toThrow(badSignature);
    expect(() => verifyOffline(`${h}.${p}.`, [hubKey.publicKey])).toThrow(badSignature);
    expect(() => verifyOffline(signedLongAgo, [])).toThrow('unknown-key: no Ed25519 public key for this evidence');
    const unsigned = forge({ alg: 'none', kid: 'k' }, claimsOf(signedLongAgo), () => Buffer.alloc(0));
    expect(() => verifyOffline(unsigned, [hubKey.publicKey])).toThrow('bad-alg: alg is "none", only EdDSA is accepted');
  });

  it('decode shows any well-formed envelope without verifying it, and refuses garbage as malformed', () => {
    const unsigned = forge({ alg: 'none', kid: 'k' }, claimsOf(signedLongAgo), () => Buffer.alloc(0));
    expect(decode(unsigned)).toMatchObject({ header: { alg: 'none', kid: 'k' }, body });
    const garbage = `${b64('plain text')}.x.y`;
    expect(() => decode(garbage)).toThrow(EnvelopeError);
    expect(() => decode(garbage)).toThrow(/^malformed: header is not JSON$/);
  });
});

describe('keys', () => {
  it('round-trips a public key through its raw base64url form, which ProviderKey accepts', () => {
    const raw = publicKeyToRaw(hubKey.publicKey);
    expect(Buffer.from(raw, 'base64url')).toHaveLength(32);
    expect(publicKeyFromRaw(raw).equals(hubKey.publicKey)).toBe(true);
    expect(ProviderKey.parse({ kid: hubKey.kid, publicKey: raw }).publicKey).toBe(raw);
  });

  it('round-trips a private key through PKCS#8 PEM and signs with the reloaded key', async () => {
    const pem = privateKeyToPem(hubKey.privateKey);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const reloaded = keyPairFromPrivateKey(privateKeyFromPem(pem));
    expect(reloaded.kid).toBe(hubKey.kid);
    const v = await verify(sign(body, opts({ key: reloaded })), { aud: 'carrier-a', keys: hubKeys, now: NOW });
    expect(v.body).toEqual(body);
  });

  it('derives the default kid from the first 8 bytes of sha256 of the raw public key', () => {
    const raw = Buffer.from(publicKeyToRaw(hubKey.publicKey), 'base64url');
    expect(hubKey.kid).toBe(createHash('sha256').update(raw).digest().subarray(0, 8).toString('base64url'));
    expect(hubKey.kid).not.toBe(otherKey.kid);
    expect(generateKeyPair('ops-2025').kid).toBe('ops-2025');
  });

  it.each([
    ['', 'got 0 characters'],
    ['abc', 'got 3 characters'],
    [`${'A'.repeat(43)}=`, 'got 44 characters'],
    [`${'A'.repeat(42)}+`, 'got a character outside base64url or a non-canonical last character'],
    [`${'A'.repeat(42)}B`, 'got a character outside base64url or a non-canonical last character'],
  ])('refuses the raw public key %j', (raw, why) => {
    expect(() => publicKeyFromRaw(raw)).toThrow(KeyError);
    expect(() => publicKeyFromRaw(raw)).toThrow(
      `Ed25519 public key must be base64url of the raw 32 bytes (43 characters), ${why}`,
    );
  });

  it('refuses PEM that is not a private key, or not Ed25519, without quoting it', () => {
    const secretish = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n';
    expect(() => privateKeyFromPem(secretish)).toThrow('not a PEM private key (expected PKCS#8 "BEGIN PRIVATE KEY")');
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => privateKeyFromPem(ecPem)).toThrow('expected an Ed25519 private key, got ec private key');
  });

  it('refuses the wrong kind of key object and an empty or over-long kid', () => {
    expect(() => publicKeyToRaw(hubKey.privateKey)).toThrow('expected an Ed25519 public key, got ed25519 private key');
    expect(() => privateKeyToPem(hubKey.publicKey)).toThrow('expected an Ed25519 private key, got ed25519 public key');
    expect(() => generateKeyPair('')).toThrow('kid must be 1–64 characters, got 0');
    expect(() => generateKeyPair('k'.repeat(65))).toThrow(KeyError);
  });
});

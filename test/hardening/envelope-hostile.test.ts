/**
 * Signed envelopes against hostile input (fast-check): whatever arrives as a JWS, `verify`, `verifyOffline` and
 * `decode` either succeed on an authentic envelope or refuse with an EnvelopeError — never another exception,
 * never a forgery accepted. Round trip: any JSON body comes back as signed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, EnvelopeError, MemoryJtiStore, sign, verify, verifyOffline, type VerifyOptions } from '../../proto/envelope.js';
import { generateKeyPair } from '../../proto/keys.js';

const agentKey = generateKeyPair('agent-k1');
const NOW = Date.parse('2026-11-28T12:00:00Z');
const opts = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
  aud: 'hub',
  typ: 'HopAnswer',
  keys: (iss, kid) => (iss === 'acme' && kid === agentKey.kid ? [agentKey.publicKey] : []),
  now: NOW,
  ...extra,
});
const signed = (body: unknown) => sign(body, { iss: 'acme', aud: 'hub', typ: 'HopAnswer', key: agentKey, now: NOW });

/** Resolves to the EnvelopeError code, 'accepted', or the unexpected exception itself (which fails the property). */
async function outcome(jws: unknown, o = opts()): Promise<string> {
  try {
    await verify(jws as string, o);
    return 'accepted';
  } catch (err) {
    if (err instanceof EnvelopeError) return err.code;
    throw err;
  }
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64url');
const base64urlText = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);

describe('envelopes against hostile input', () => {
  it('gives back any JSON body exactly as signed, with the claims it was signed with', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => {
        const v = await verify(signed(body), opts());
        // JSON has no -0: the body is what JSON.parse(JSON.stringify(body)) gives.
        expect(v.body).toEqual(JSON.parse(JSON.stringify(body)));
        expect([v.claims.iss, v.claims.aud, v.claims.typ, v.header.kid]).toEqual(['acme', 'hub', 'HopAnswer', agentKey.kid]);
        expect(verifyOffline(v.jws, [agentKey.publicKey]).body).toEqual(v.body);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses arbitrary text, three-part junk and well-formed parts with wrong claims only with an EnvelopeError', async () => {
    const claimsLike = fc.record(
      {
        v: fc.oneof(fc.constant(1), fc.anything()),
        iss: fc.oneof(fc.constant('acme'), fc.anything()),
        aud: fc.oneof(fc.constant('hub'), fc.anything()),
        iat: fc.oneof(fc.constant(NOW / 1000), fc.double(), fc.anything()),
        jti: fc.oneof(fc.uuid(), fc.anything()),
        typ: fc.oneof(fc.constant('HopAnswer'), fc.anything()),
        body: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const headerLike = fc.record(
      { alg: fc.oneof(fc.constantFrom('EdDSA', 'none', 'HS256', 'ES256'), fc.anything()), kid: fc.oneof(fc.constant(agentKey.kid), fc.anything()), crit: fc.anything() },
      { requiredKeys: [] },
    );
    const candidates = fc.oneof(
      fc.string(),
      fc.anything(),
      fc.tuple(base64urlText, base64urlText, base64urlText).map((p) => p.join('.')),
      fc.tuple(headerLike, claimsLike, base64urlText).map(([h, c, s]) => `${b64(h)}.${b64(c)}.${s}`),
      fc.tuple(fc.string(), fc.string(), base64urlText).map(([h, c, s]) => `${b64(h)}.${b64(c)}.${s}`),
    );
    await fc.assert(
      fc.asyncProperty(candidates, async (jws) => {
        expect(await outcome(jws)).not.toBe('accepted');
        for (const check of [() => decode(jws as string), () => verifyOffline(jws as string, [agentKey.publicKey])]) {
          try {
            check();
          } catch (err) {
            expect(err).toBeInstanceOf(EnvelopeError);
          }
        }
      }),
      { numRuns: 1_500 },
    );
  });

  it('refuses an authentic envelope with any one character changed, and never records its jti', async () => {
    const jws = signed({ queryId: 'q-1', result: 'not_found' });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    await fc.assert(
      fc.asyncProperty(fc.nat(jws.length - 1), fc.constantFrom(...alphabet), async (at, ch) => {
        fc.pre(jws[at] !== ch);
        const forged = jws.slice(0, at) + ch + jws.slice(at + 1);
        const jti = new MemoryJtiStore({ clock: () => NOW });
        expect(await outcome(forged, opts({ jti }))).not.toBe('accepted');
        expect(jti.size).toBe(0);
      }),
      { numRuns: 1_500 },
    );
  });

  it('accepts an envelope once and refuses every replay of it, whatever its body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: 2, max: 5 }), async (body, times) => {
        const jti = new MemoryJtiStore({ clock: () => NOW });
        const jws = signed(body);
        const seen = [];
        for (let i = 0; i < times; i++) seen.push(await outcome(jws, opts({ jti })));
        expect(seen).toEqual(['accepted', ...Array(times - 1).fill('replayed')]);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses an envelope signed outside the allowed clock skew as expired or not yet valid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -10 * 86_400, max: 10 * 86_400 }), async (offsetSec) => {
        const jws = sign({}, { iss: 'acme', aud: 'hub', typ: 'HopAnswer', key: agentKey, now: NOW + offsetSec * 1000 });
        const expected = offsetSec < -300 ? 'expired' : offsetSec > 300 ? 'not-yet-valid' : 'accepted';
        expect(await outcome(jws)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { KeyRotationError, MAX_KEYS, rotateKeys, validAt } from '../../hub/key-rotation.js';
import type { ProviderKey } from '../../proto/messages.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const key = (n: number, over: Partial<ProviderKey> = {}): ProviderKey => ({ kid: `k${n}`, publicKey: String(n).padStart(43, 'A'), ...over });

describe('provider key rotation', () => {
  it('keeps the old key valid for the overlap after the new one starts, and the new one from now on', () => {
    const keys = rotateKeys('acme', [key(1)], key(2), T0, 24 * H);
    expect(keys).toEqual([key(1, { notAfter: iso(T0 + 24 * H) }), key(2, { notBefore: iso(T0) })]);
    const [old, fresh] = keys as [ProviderKey, ProviderKey];
    expect([validAt(old, T0 + 23 * H), validAt(fresh, T0 + 23 * H)]).toEqual([true, true]);
    expect([validAt(old, T0 + 24 * H), validAt(fresh, T0 + 24 * H)]).toEqual([false, true]);
    expect(validAt(fresh, T0 - 1)).toBe(false);
  });

  it('starts the overlap at a future notBefore, and never extends a key that expires sooner', () => {
    const start = T0 + 48 * H;
    const keys = rotateKeys('acme', [key(1), key(3, { notAfter: iso(T0 + H) })], key(2, { notBefore: iso(start) }), T0, 6 * H);
    expect(keys.map((k) => [k.kid, k.notBefore, k.notAfter])).toEqual([
      ['k1', undefined, iso(start + 6 * H)],
      ['k3', undefined, iso(T0 + H)],
      ['k2', iso(start), undefined],
    ]);
  });

  it('drops expired keys, oldest first, to stay within the limit', () => {
    const expired = Array.from({ length: MAX_KEYS }, (_, i) => key(10 + i, { notAfter: iso(T0 - (MAX_KEYS - i) * H) }));
    const keys = rotateKeys('acme', expired, key(2), T0, H);
    expect(keys).toHaveLength(MAX_KEYS);
    expect(keys.map((k) => k.kid)).not.toContain('k10');
    expect(keys.at(-1)?.kid).toBe('k2');
  });

  it.each([
    ['a kid already registered', [key(1)], key(1, { publicKey: 'B'.repeat(43) }), /kid k1 is already registered/],
    ['a public key already registered', [key(1)], key(2, { publicKey: key(1).publicKey }), /this public key is already registered/],
    ['too many valid keys', Array.from({ length: MAX_KEYS }, (_, i) => key(10 + i, { notAfter: iso(T0 + 100 * H) })), key(2), /more than 8 keys would be valid/],
  ])('refuses %s with the reason', (_what, keys, added, reason) => {
    expect(() => rotateKeys('acme', keys, added, T0, H)).toThrow(KeyRotationError);
    expect(() => rotateKeys('acme', keys, added, T0, H)).toThrow(reason);
  });
});

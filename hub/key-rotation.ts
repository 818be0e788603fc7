/**
 * Rotation of a provider's signing keys. The new key is valid from its `notBefore` (default: now); every key
 * still valid then stays valid for an overlap after it, so answers signed by an agent that has not switched
 * yet still verify, and then expires. Pure.
 */
import type { KeyObject } from 'node:crypto';
import type { ProviderKey } from '../proto/messages.js';

/** A provider holds at most this many keys (ProviderInput.keys). */
export const MAX_KEYS = 8;

export class KeyRotationError extends Error {
  override readonly name = 'KeyRotationError';
  constructor(
    readonly provider: string,
    readonly reason: string,
  ) {
    super(`provider ${provider}: ${reason}`);
  }
}

export function rotateKeys(provider: string, keys: readonly ProviderKey[], added: ProviderKey, now: number, overlapMs: number): ProviderKey[] {
  if (keys.some((k) => k.kid === added.kid)) throw new KeyRotationError(provider, `kid ${added.kid} is already registered`);
  if (keys.some((k) => k.publicKey === added.publicKey)) throw new KeyRotationError(provider, 'this public key is already registered');
  const start = added.notBefore ? Date.parse(added.notBefore) : now;
  const retireAt = new Date(start + overlapMs).toISOString();
  const retired = keys.map((k) => (k.notAfter && Date.parse(k.notAfter) <= start + overlapMs ? k : { ...k, notAfter: retireAt }));
  const next = [...retired, { ...added, notBefore: new Date(start).toISOString() }];
  // Expired keys make room, oldest expiry first: evidence keeps its own copy of the keys that verified it.
  const expired = next.filter((k) => k.notAfter && Date.parse(k.notAfter) <= now).sort((a, b) => Date.parse(a.notAfter!) - Date.parse(b.notAfter!));
  while (next.length > MAX_KEYS && expired.length) next.splice(next.indexOf(expired.shift()!), 1);
  if (next.length > MAX_KEYS) throw new KeyRotationError(provider, `more than ${MAX_KEYS} keys would be valid; wait for the overlap of the last rotation to end`);
  return next;
}

/** Is `k` registered as valid at `at` (ms)? */
export function validAt(k: ProviderKey, at: number): boolean {
  return (!k.notBefore || Date.parse(k.notBefore) <= at) && (!k.notAfter || Date.parse(k.notAfter) > at);
}

/**
 * A signing key the hub used before a rotation (config `previousKeys`). Manual-hop links it signed are out with
 * people for up to a hop's deadline: they still open until `notAfter`, then are refused.
 */
export interface RetiredHubKey {
  key: KeyObject;
  /** ms since the epoch */
  notAfter: number;
}

/** The keys a manual-hop link may be signed with at `now`: the current one and each retired one in its overlap. */
export function manualLinkKeys(current: KeyObject, retired: readonly RetiredHubKey[], now: number): KeyObject[] {
  return [current, ...retired.filter((k) => k.notAfter > now).map((k) => k.key)];
}

/**
 * Ed25519 signing keys (RFC 8032) for envelopes. Providers register the raw public key as base64url
 * (ProviderKey.publicKey); private keys live in PKCS#8 PEM files. Errors never quote private key material.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface KeyPair {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export class KeyError extends Error {
  override readonly name = 'KeyError';
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(reason, options);
  }
}

const RAW_PUBLIC_KEY = /^[A-Za-z0-9_-]{43}$/;
/** Same bound as ProviderKey.kid (proto/messages.ts). */
const MAX_KID = 64;

export function generateKeyPair(kid?: string): KeyPair {
  return keyPairFromPrivateKey(generateKeyPairSync('ed25519').privateKey, kid);
}

/** A key pair from a loaded private key; the default kid is derived from the public key, so it is stable. */
export function keyPairFromPrivateKey(privateKey: KeyObject, kid?: string): KeyPair {
  requireEd25519(privateKey, 'private');
  if (kid !== undefined && (kid.length === 0 || kid.length > MAX_KID)) {
    throw new KeyError(`kid must be 1–${MAX_KID} characters, got ${kid.length}`);
  }
  const publicKey = createPublicKey(privateKey);
  return { kid: kid ?? defaultKid(publicKey), privateKey, publicKey };
}

/** base64url of the first 8 bytes of sha256(raw public key): short, and the same wherever it is computed. */
function defaultKid(publicKey: KeyObject): string {
  const raw = Buffer.from(publicKeyToRaw(publicKey), 'base64url');
  return createHash('sha256').update(raw).digest().subarray(0, 8).toString('base64url');
}

export function publicKeyToRaw(key: KeyObject): string {
  requireEd25519(key, 'public');
  const { x } = key.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new KeyError('Ed25519 public key did not export its raw bytes');
  return x;
}

export function publicKeyFromRaw(b64url: string): KeyObject {
  // Canonical form only: Buffer's base64url decoder ignores stray characters and padding bits.
  if (!RAW_PUBLIC_KEY.test(b64url) || Buffer.from(b64url, 'base64url').toString('base64url') !== b64url) {
    throw new KeyError(
      `Ed25519 public key must be base64url of the raw 32 bytes (43 characters), got ${describeRaw(b64url)}`,
    );
  }
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url }, format: 'jwk' });
  } catch (cause) {
    throw new KeyError('Ed25519 public key was refused by the crypto library', { cause });
  }
}

export function privateKeyToPem(key: KeyObject): string {
  requireEd25519(key, 'private');
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function privateKeyFromPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new KeyError('not a PEM private key (expected PKCS#8 "BEGIN PRIVATE KEY")', { cause });
  }
  requireEd25519(key, 'private');
  return key;
}

function requireEd25519(key: KeyObject, type: 'public' | 'private'): void {
  if (key.type !== type || key.asymmetricKeyType !== 'ed25519') {
    throw new KeyError(`expected an Ed25519 ${type} key, got ${key.asymmetricKeyType ?? 'a'} ${key.type} key`);
  }
}

function describeRaw(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  if (value.length !== 43) return `${value.length} characters`;
  return 'a character outside base64url or a non-canonical last character';
}

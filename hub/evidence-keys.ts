/**
 * Provider public keys a checker obtained independently of the hub (from each provider, a registry, a
 * regulator's list), for `hoptrace-hub verify --provider-keys FILE`: with them an evidence bundle's answers are
 * checked against keys the hub did not choose. JSON or YAML, provider id → one key or a list:
 *
 *   carrier-a: 3x1k…           # base64url of the raw 32-byte Ed25519 key, as `keygen` prints it
 *   carrier-b: [Qm9…, Zk2…]    # during a rotation, both
 */
import YAML from 'yaml';
import { z } from 'zod';
import { publicKeyFromRaw } from '../proto/keys.js';
import { ProviderId } from '../proto/messages.js';

export type ProviderKeys = Readonly<Record<string, readonly string[]>>;

export class ProviderKeysError extends Error {
  override readonly name = 'ProviderKeysError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`provider keys ${file}: ${reason}`);
  }
}

const RawKey = z.string().refine(
  (k) => {
    try {
      publicKeyFromRaw(k);
      return true;
    } catch {
      return false;
    }
  },
  'base64url of a raw 32-byte Ed25519 public key (43 characters)',
);
const KeysFile = z.record(ProviderId, z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(RawKey).min(1).max(8)));

/** The file's text as provider id → keys; a ProviderKeysError naming the entry at fault otherwise. */
export function parseProviderKeys(text: string, file: string): ProviderKeys {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new ProviderKeysError(file, `not JSON or YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  const r = KeysFile.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    if (issue.code === 'invalid_key') throw new ProviderKeysError(file, `${JSON.stringify(String(issue.path.at(-1)))} is not a provider id (lower-case letters, digits, . _ -)`);
    const at = issue.path.length ? ` (at ${issue.path.join('.')})` : '';
    throw new ProviderKeysError(file, `${issue.message}${at}; expected provider id → key or [keys]`);
  }
  if (Object.keys(r.data).length === 0) throw new ProviderKeysError(file, 'names no provider');
  return r.data;
}

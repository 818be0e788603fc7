/** A hub tokens file (hub/tokens.ts) for a test hub: a fresh bearer token per id, with its roles. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken, newToken, type Role } from '../../hub/auth.js';

export function tokensFile<K extends string>(roles: Record<K, readonly Role[]>): { file: string; tokens: Record<K, string> } {
  const tokens = {} as Record<K, string>;
  const entries = Object.entries<readonly Role[]>(roles).map(([id, r]) => {
    tokens[id as K] = newToken();
    return { id, roles: [...r], sha256: hashToken(tokens[id as K]) };
  });
  const file = join(mkdtempSync(join(tmpdir(), 'hoptrace-tokens-')), 'tokens.json');
  writeFileSync(file, JSON.stringify(entries), { mode: 0o600 });
  return { file, tokens };
}

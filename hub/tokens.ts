/**
 * The tokens file: people's and scripts' bearer tokens as SHA-256 hashes with roles, loaded into the store at
 * start. `hoptrace-hub token create` prints a new token once and the line to add here.
 */
import { z } from 'zod';
import { readListFile } from '../config/load.js';
import { ROLES } from './auth.js';
import type { HubStore } from './store/store.js';

export const TokenEntry = z
  .object({
    id: z.string().min(1).max(64),
    roles: z.array(z.enum(ROLES)).min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits (the SHA-256 of the token)'),
    expires: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type TokenEntry = z.infer<typeof TokenEntry>;

export function readTokensFile(file: string): TokenEntry[] {
  return readListFile(file, TokenEntry);
}

export async function loadTokens(store: HubStore, entries: readonly TokenEntry[], now: number): Promise<void> {
  for (const t of entries) {
    await store.putToken(t.sha256, { id: t.id, roles: [...t.roles], createdAt: now, ...(t.expires && { expiresAt: Date.parse(t.expires) }) });
  }
}

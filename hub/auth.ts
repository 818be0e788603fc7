/**
 * Bearer tokens for people and scripts. Tokens are random and shown once; only their SHA-256 is stored.
 * Roles: trace:write, trace:read, dno:write, admin (admin implies every role).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TokenRecord } from './store/store.js';

export const ROLES = ['trace:write', 'trace:read', 'dno:write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `ht_${randomBytes(24).toString('base64url')}`;
}

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly status: 401 | 403,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * Where tokens are looked up by hash: a running hub's tokens file (hub/tokens.ts TokenBook), or, for a hub built
 * in code (tests, benchmarks), its store.
 */
export interface TokenLookup {
  getToken(hash: string): Promise<TokenRecord | undefined>;
}

/** Resolve `Authorization: Bearer <token>` to its record, requiring `role`. Says why it refuses, never what exists. */
export async function authorize(tokens: TokenLookup, header: string | undefined, role: Role, now: number): Promise<TokenRecord> {
  const m = header?.match(/^Bearer\s+(\S+)$/i);
  if (!m?.[1]) throw new AuthError(401, 'missing bearer token');
  const rec = await tokens.getToken(hashToken(m[1]));
  if (!rec) throw new AuthError(401, 'unknown token');
  if (rec.expiresAt !== undefined && rec.expiresAt <= now) throw new AuthError(401, 'token expired');
  if (!rec.roles.includes(role) && !rec.roles.includes('admin')) throw new AuthError(403, `token lacks role ${role}`);
  return rec;
}

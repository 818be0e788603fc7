/**
 * Bearer tokens for people and scripts, on the hub's own machine (no running hub needed):
 *   token create --id ID --roles ROLE[,ROLE] [--expires ISO8601]   a new token, shown once, and its file line
 *   token revoke ID --file TOKENS                                  deletes ID's lines from the tokens file
 * The tokens file is the only source of a hub's tokens (hub/tokens.ts): a running hub refuses a revoked token
 * from its next request on, with no restart. Each hub instance reads its own copy: revoke on every one.
 */
import { createHash } from 'node:crypto';
import { flags, UsageError } from '../../config/cli.js';
import { newToken, ROLES, type Role } from '../auth.js';
import { revokeInFile } from '../tokens.js';
import type { Out } from './client.js';

export function tokenCommand(args: string[], out: Out): number {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create':
      return create(rest, out);
    case 'revoke':
      return revoke(rest, out);
    default:
      throw new UsageError('token: expected `token create` or `token revoke`');
  }
}

function create(args: string[], out: Out): number {
  const { values } = flags(args, { id: { type: 'string' }, roles: { type: 'string' }, expires: { type: 'string' } });
  const roles = String(values.roles ?? '').split(',').filter(Boolean);
  if (!values.id) throw new UsageError('token create needs --id');
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (!roles.length || bad.length) throw new UsageError(`--roles must list some of ${ROLES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}`);
  const token = newToken();
  const sha256 = createHash('sha256').update(token).digest('hex');
  out(`token: ${token}\n# shown once; add this entry to the hub's tokens file:\n- { id: ${String(values.id)}, roles: [${(roles as Role[]).join(', ')}], sha256: ${sha256}${values.expires ? `, expires: ${String(values.expires)}` : ''} }\n`);
  return 0;
}

function revoke(args: string[], out: Out): number {
  const { values, positionals } = flags(args, { file: { type: 'string' } });
  const id = positionals[0];
  if (!id) throw new UsageError('token revoke needs the token id');
  if (!values.file) throw new UsageError("token revoke needs --file: the hub's tokens file (tokens.file)");
  const removed = revokeInFile(values.file as string, id);
  out(`revoked ${id}: ${removed} line(s) removed from ${String(values.file)}; a running hub refuses it from its next request\n`);
  return 0;
}

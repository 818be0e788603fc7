/**
 * The tokens file: people's and scripts' bearer tokens as SHA-256 hashes with roles. It is the only source of
 * the tokens a hub accepts: the hub reads it again whenever it changes (checked at every lookup, so a deleted line
 * is refused from the next request on), and keeps no copy elsewhere that could outlive a line. A file that cannot
 * be read or is invalid refuses every token until it is fixed: revocation must never wait on a typo.
 * `hoptrace-hub token create` prints a new token once and the line to add here; `token revoke` deletes lines.
 */
import { readFileSync, renameSync, type Stats, statSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { isMap, isSeq, parseDocument } from 'yaml';
import { z } from 'zod';
import { readListFile } from '../config/load.js';
import { ROLES, type TokenLookup } from './auth.js';
import type { TokenRecord } from './store/store.js';

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

/** The records a lookup answers with, by token hash. */
export function tokenRecords(entries: readonly TokenEntry[], loadedAt: number): Map<string, TokenRecord> {
  return new Map(entries.map((t) => [t.sha256, { id: t.id, roles: [...t.roles], createdAt: loadedAt, ...(t.expires && { expiresAt: Date.parse(t.expires) }) }]));
}

/** The bearer tokens of a running hub: its tokens file as it is now. */
export class TokenBook implements TokenLookup {
  private records = new Map<string, TokenRecord>();
  /** What the file looked like when last read; a different look is a different file. */
  private seen: string | undefined;

  /** Reads the file once: a file that is missing or invalid at start fails the start (ConfigError, with the path). */
  constructor(
    private readonly file: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    const st = statSync(file, { throwIfNoEntry: false });
    this.records = tokenRecords(readTokensFile(file), now());
    this.seen = st && lookOf(st);
  }

  async getToken(hash: string): Promise<TokenRecord | undefined> {
    this.refresh();
    const r = this.records.get(hash);
    return r && structuredClone(r);
  }

  /** A stat per lookup (microseconds): an edit, a replacement by rename or a deletion is seen at the next request. */
  private refresh(): void {
    let st: Stats | undefined;
    try {
      st = statSync(this.file, { throwIfNoEntry: false });
    } catch (err) {
      return this.refuseAll(`error:${(err as Error).message}`, `cannot read the tokens file: ${(err as Error).message}`);
    }
    if (!st) return this.refuseAll('missing', 'the tokens file is missing');
    const look = lookOf(st);
    if (look === this.seen) return;
    try {
      const entries = readTokensFile(this.file);
      this.records = tokenRecords(entries, this.now());
      this.seen = look;
      this.log.info({ file: this.file, tokens: entries.length }, 'tokens file read');
    } catch (err) {
      this.refuseAll(look, (err as Error).message);
    }
  }

  private refuseAll(look: string, why: string): void {
    this.records = new Map();
    if (look === this.seen) return;
    this.seen = look;
    this.log.error({ file: this.file, why }, 'tokens file unusable: every bearer token is refused until it is fixed');
  }
}

function lookOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/**
 * Deletes every entry of token `id` from the tokens file, keeping every other byte of it (comments, layout) as
 * it was, and says how many went. The new file replaces the old one at once (written beside it, then renamed),
 * so a hub never reads half of it. Nothing changes when the file holds no such token or is invalid.
 */
export function revokeInFile(file: string, id: string): number {
  readTokensFile(file); // a file the hub would refuse is not edited: it is fixed first
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text);
  const list = doc.contents;
  if (!isSeq(list)) throw new TokenFileError(file, 'expected a list of tokens');
  const revoked = list.items.filter((item) => isMap(item) && (item.toJSON() as { id?: unknown }).id === id);
  if (revoked.length === 0) throw new TokenFileError(file, `no token with id ${id}`);
  let next: string;
  if (list.flow) {
    // A list written inline (JSON): there are no lines of its own to cut, so it is written again whole.
    list.items = list.items.filter((item) => !revoked.includes(item));
    next = /\.json$/i.test(file) ? `${JSON.stringify(doc.toJS(), null, 2)}\n` : doc.toString();
  } else {
    next = text;
    // From the last entry back, so the earlier entries' offsets still hold.
    for (const item of revoked.reverse()) {
      const [from, to] = entryLines(text, item.range!);
      next = next.slice(0, from) + next.slice(to);
    }
  }
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, next, { mode: statSync(file).mode & 0o777 });
  renameSync(temp, file);
  return revoked.length;
}

/** The whole lines a block list entry spans: from its line's start (its "- ") to the end of its last line. */
function entryLines(text: string, [start, valueEnd]: readonly [number, number, number]): [number, number] {
  let end = valueEnd;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  const from = text.lastIndexOf('\n', start - 1) + 1;
  const newline = text.indexOf('\n', end);
  return [from, newline === -1 ? text.length : newline + 1];
}

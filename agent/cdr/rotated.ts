/**
 * Where a CDR file read before may be now (evidence.ts): the names rotation gives a file in its own directory.
 * logrotate renames `calls.act` to `calls.act.1` or `calls.act-20261128`, then maybe compresses it to `….gz`
 * (a new inode, the same uncompressed bytes); a switch moves a closed file to another name with the same stem
 * (`1001AC2.ACT` → `1001AC2.CLOSED`). A directory may hold thousands of files: only names sharing the file's
 * stem are looked at, and at most MAX_CANDIDATES of them.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileKey } from './identity.js';

/** Names stat'ed per search: a few ms of stat calls. */
export const MAX_CANDIDATES = 256;

export interface Candidate {
  path: string;
  /** The very file that was read (same dev:ino), renamed. */
  sameFile: boolean;
}

/**
 * Files in `dir` that may hold the content of `name` (identity `key` when known), most likely first: the same
 * file renamed; then the files written since the call at `atMs`, oldest first (the rotation that followed the
 * call); then the rest. Empty when the directory cannot be read.
 */
export async function rotatedCandidates(dir: string, name: string, key: string | undefined, atMs: number): Promise<Candidate[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const dot = name.indexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  // Which names are stat'ed when there are more: those that extend the whole name (`calls.act.1.gz`) before
  // those sharing only its stem, shorter first, and of one length the last in order first (dated names: newest).
  const rank = (n: string) => (n.startsWith(name) ? 0 : 1);
  const picked = names
    .filter((n) => n !== name && n.startsWith(stem))
    .sort((a, b) => rank(a) - rank(b) || a.length - b.length || b.localeCompare(a))
    .slice(0, MAX_CANDIDATES);
  const found = await Promise.all(
    picked.map(async (n) => {
      const path = join(dir, n);
      const s = await stat(path, { bigint: true }).catch(() => undefined);
      return s?.isFile() ? { path, sameFile: key !== undefined && fileKey(s) === key, mtimeMs: Number(s.mtimeMs) } : undefined;
    }),
  );
  const order = (c: { sameFile: boolean; mtimeMs: number }) => (c.sameFile ? 0 : c.mtimeMs >= atMs ? 1 : 2);
  return found
    .filter((c) => c !== undefined)
    .sort((a, b) => order(a) - order(b) || (order(a) === 2 ? b.mtimeMs - a.mtimeMs : a.mtimeMs - b.mtimeMs))
    .map(({ path, sameFile }) => ({ path, sameFile }));
}

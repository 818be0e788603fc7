/**
 * Where reading a newly seen file starts (pure). Its own checkpoint, when the content at its inode is still
 * the content that was read (same first bytes, not shorter than the checkpoint); else the furthest checkpoint
 * of other content it is a copy of (log rotation's `copytruncate` copy, or a `.gz` of a file that was read
 * uncompressed); else its first line.
 */
import type { FileCheckpoint } from './checkpoints.js';
import { hashOf } from './identity.js';

export interface Seen {
  key: string;
  /** The file's first bytes (up to HEAD_BYTES), decompressed for a .gz. */
  start: Buffer;
  /** Content length when known (not for a .gz before it is read). */
  size?: number;
}

export interface Resume {
  offset: number;
  line: number;
  /** The checkpoint it goes on from, when it is a copy of another file's content. */
  copyOf?: FileCheckpoint;
}

export const FROM_START: Readonly<Resume> = { offset: 0, line: 1 };

export function resumePoint(file: Seen, own: FileCheckpoint | undefined, others: Iterable<FileCheckpoint>): Resume {
  // Many checkpoints share a head length (HEAD_BYTES): hash each prefix once.
  const prefixHash = new Map<number, string>();
  const startsWith = ({ length, hash }: FileCheckpoint['head']) => {
    if (file.start.length < length) return false;
    let h = prefixHash.get(length);
    if (h === undefined) prefixHash.set(length, (h = hashOf(file.start.subarray(0, length))));
    return h === hash;
  };
  const holds = (c: FileCheckpoint) => startsWith(c.head) && (file.size === undefined || file.size >= c.offset);
  if (own !== undefined && holds(own)) return { offset: own.offset, line: own.line };
  let best: FileCheckpoint | undefined;
  for (const c of others) {
    // An empty head matches everything: only content that was actually read identifies a copy.
    if (c.key === file.key || c.head.length === 0 || c.offset === 0) continue;
    if ((best === undefined || c.offset > best.offset) && holds(c)) best = c;
  }
  return best === undefined ? { ...FROM_START } : { offset: best.offset, line: best.line, copyOf: best };
}

/**
 * A CDR file's identity beyond its name: the device and inode it lives on (a rename keeps them) and a hash of
 * its first bytes. The hash tells a recycled inode (a deleted file's number given to a new one) from the file
 * that was read, and finds the same content under another inode: a `copytruncate` copy or a `.gz` made by
 * log rotation, whose reading goes on where the original's stopped.
 */
import { createHash } from 'node:crypto';

/** How much of a file's start is hashed: enough to hold a few records, whose times and ids make it unique. */
export const HEAD_BYTES = 1024;

export interface Head {
  /** sha1 (base64url) of the first `length` bytes. */
  hash: string;
  length: number;
}

export function headOf(bytes: Buffer): Head {
  const length = Math.min(bytes.length, HEAD_BYTES);
  return { hash: hashOf(bytes.subarray(0, length)), length };
}

/** Does a file starting with `bytes` start with the content `head` was taken from? */
export function startsWith(bytes: Buffer, head: Head): boolean {
  return bytes.length >= head.length && hashOf(bytes.subarray(0, head.length)) === head.hash;
}

/** `<dev>:<ino>` from bigint stats: inode numbers above 2^53 (XFS, NFS) must not collide. */
export function fileKey(stats: { dev: bigint; ino: bigint }): string {
  return `${stats.dev}:${stats.ino}`;
}

export function hashOf(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('base64url');
}

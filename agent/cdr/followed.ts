/**
 * What the tailer knows about one CDR file (one inode) while it follows it: where reading stands, what the
 * store has acknowledged, and whether the file is finished. A file whose content is replaced in place
 * (truncated, or its inode recycled) gets a new Followed; the old one is retired with its checkpoint.
 */
import type { FileHandle } from 'node:fs/promises';
import type { FileCheckpoint } from './checkpoints.js';
import type { Head } from './identity.js';

export interface Position {
  /** Bytes of content (decompressed for a .gz) before the next unit. */
  offset: number;
  /** Number of the next line. */
  line: number;
}

/** The position a batch reached in a file; `complete` when it is the end of a .gz. */
export interface Mark extends Position {
  complete?: { size: number; mtimeMs: number };
}

export class Followed {
  /** Set once the file's first bytes were read and where to resume was decided. */
  head: Head | undefined;
  /** Next unit to read. */
  read: Position = { offset: 0, line: 1 };
  /** Reached by records the index acknowledged and a checkpoint the store holds. */
  acked: Mark = { offset: 0, line: 1 };
  /** Size (on disk) the last read pass went up to: more than that is work to do. */
  readTo = 0;
  size = 0;
  mtimeMs = 0;
  /** When size and mtime were last seen to change. */
  unchangedSince = 0;
  /** Size or mtime changed since its first bytes were last compared with its head. */
  unverified = true;
  /** Read to its end and finished; followed again if it changes. */
  complete = false;
  /** Seen in the directory listing (else it was renamed away or deleted: drained through its handle). */
  present = true;
  handle: FileHandle | undefined;
  /** When the oldest bytes not yet indexed were written (lag). */
  pendingSince: number | undefined;
  /** A .gz that failed to decompress at this size and mtime: tried again once it changes. */
  gzFailed: { size: number; mtimeMs: number } | undefined;
  /** The last error reading it, logged once until reading works again. */
  readError: string | undefined;
  errorsLogged = 0;
  /** Replaced by a new Followed for new content at the same inode. */
  retired = false;

  constructor(
    readonly key: string,
    public name: string,
    readonly gz: boolean,
  ) {}

  /** Records or work not yet acknowledged. */
  get pending(): boolean {
    return !this.complete && (this.size > this.readTo || this.acked.offset < this.read.offset);
  }

  observe(size: number, mtimeMs: number, now: number): void {
    if (size !== this.size || mtimeMs !== this.mtimeMs) {
      this.size = size;
      this.mtimeMs = mtimeMs;
      this.unchangedSince = now;
      this.unverified = true;
      this.complete = false;
    }
    this.notePending();
  }

  /** Unchanged for `settleMs`: seen so over that long, or last written that long ago. */
  settled(now: number, settleMs: number): boolean {
    return now - this.unchangedSince >= settleMs || now - this.mtimeMs >= settleMs;
  }

  notePending(): void {
    if (!this.pending) this.pendingSince = undefined;
    else this.pendingSince ??= this.mtimeMs;
  }

  checkpoint(mark: Mark): FileCheckpoint | undefined {
    if (this.head === undefined) return undefined;
    const c: FileCheckpoint = { key: this.key, name: this.name, head: this.head, offset: mark.offset, line: mark.line };
    if (mark.complete) c.complete = mark.complete;
    return c;
  }
}

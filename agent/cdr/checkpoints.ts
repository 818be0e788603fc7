/**
 * Where reading each CDR file stands, kept in the store so that a restarted agent goes on where it stopped
 * (DESIGN §8). A checkpoint only ever names a position whose records the call index has acknowledged; the
 * tailer writes it after the records, never before. Two stores: Redis (production; see redis-checkpoints.ts)
 * and memory (the embedded store, which keeps nothing across restarts). Failures are StoreUnavailableError.
 */
import { z } from 'zod';

export const FileCheckpoint = z.object({
  /** `<dev>:<ino>` (identity.ts): a renamed file keeps it. */
  key: z.string().min(1),
  /** The file's name when the checkpoint was written, for operators reading the store. */
  name: z.string(),
  /** The first bytes of the content (decompressed, for a .gz): tells a recycled inode, finds a copy. */
  head: z.object({ hash: z.string().min(1), length: z.number().int().min(0) }),
  /** Bytes of content read and acknowledged, always at a line or record boundary. */
  offset: z.number().int().min(0),
  /** Number of the next line: formats skip header rows by line number. */
  line: z.number().int().min(1),
  /** A .gz read to its end at this size and mtime: a restart need not decompress it again. */
  complete: z.object({ size: z.number(), mtimeMs: z.number() }).optional(),
});
export type FileCheckpoint = z.infer<typeof FileCheckpoint>;

export interface CheckpointStore {
  /** Every checkpoint of a source (`ribbon:/var/log/sbc`). */
  load(source: string): Promise<FileCheckpoint[]>;
  /** Writes (replaces) checkpoints by key; resolves once the store has acknowledged them. */
  save(source: string, checkpoints: readonly FileCheckpoint[]): Promise<void>;
  /** Drops the checkpoints of files that are gone. */
  forget(source: string, keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly sources = new Map<string, Map<string, FileCheckpoint>>();

  async load(source: string): Promise<FileCheckpoint[]> {
    return [...(this.sources.get(source)?.values() ?? [])].map((c) => structuredClone(c));
  }

  async save(source: string, checkpoints: readonly FileCheckpoint[]): Promise<void> {
    let held = this.sources.get(source);
    if (!held) this.sources.set(source, (held = new Map()));
    for (const c of checkpoints) held.set(c.key, structuredClone(c));
  }

  async forget(source: string, keys: readonly string[]): Promise<void> {
    const held = this.sources.get(source);
    for (const key of keys) held?.delete(key);
  }

  async close(): Promise<void> {
    this.sources.clear();
  }
}

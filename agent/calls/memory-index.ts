/**
 * The call index in process memory: the embedded default for the demo and small sites (DESIGN §4: it keeps
 * nothing across restarts). The same fixed-width entries as in Redis, in one growable buffer per (bucket, shard);
 * whole buckets are dropped once past retention (the earliest expiry any write computed for them, as Redis keys
 * are), by a timer, and never read after their expiry. Like the
 * Redis index, a bucket's buffers are trimmed to their exact size once it has closed.
 */
import { ENTRY_BYTES, type InternedKind } from './codec.js';
import { Dictionary, type FileLease, type FileTermOptions, type TermStore } from './dictionary.js';
import { bucketStart, layoutOf, type Layout, type LayoutOptions } from './layout.js';
import { PackedCallIndex, type BucketStore } from './packed-index.js';
import type { SizedCallIndex } from './store.js';
import type { BucketWrite } from './writes.js';

export interface MemoryCallIndex extends SizedCallIndex {
  /** Buckets held now (one per time bucket that has calls): retention drops them. */
  heldBuckets(): number;
  /** Drops and trims now rather than at the next sweep. */
  sweep(): void;
}

export function createMemoryCallIndex(options: LayoutOptions & FileTermOptions): MemoryCallIndex {
  const layout = layoutOf(options);
  const store = new MemoryBucketStore(layout);
  const index = new PackedCallIndex(layout, store, new Dictionary(new MemoryTermStore(), options.fileTrimGraceMs));
  return Object.assign(index, { heldBuckets: () => store.heldBuckets(), sweep: () => store.sweep(Date.now()) });
}

interface Segment {
  bytes: Buffer;
  length: number;
  extras: Map<string, string> | undefined;
}

interface Bucket {
  expiresAt: number;
  shards: Map<number, Segment>;
  /** Appended to since its buffers were last trimmed. */
  untrimmed: boolean;
}

export class MemoryBucketStore implements BucketStore {
  private readonly buckets = new Map<number, Bucket>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly layout: Layout) {
    // At least once per bucket, so an expired bucket lingers no longer than one bucket (and at most a minute).
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.min(layout.bucketMs, 60_000)).unref();
  }

  async append(writes: readonly BucketWrite[]): Promise<void> {
    for (const w of writes) {
      let bucket = this.buckets.get(w.bucket);
      if (!bucket) this.buckets.set(w.bucket, (bucket = { expiresAt: w.expiresAt, shards: new Map(), untrimmed: true }));
      // A bucket never outlives a file lease computed for it (dictionary.ts).
      bucket.expiresAt = Math.min(bucket.expiresAt, w.expiresAt);
      bucket.untrimmed = true;
      let segment = bucket.shards.get(w.shard);
      if (!segment) bucket.shards.set(w.shard, (segment = { bytes: Buffer.allocUnsafeSlow(w.entries.length), length: 0, extras: undefined }));
      if (w.extras.length > 0) {
        segment.extras ??= new Map();
        for (const [field, value] of w.extras) segment.extras.set(field.toString('latin1'), value);
      }
      if (segment.length + w.entries.length > segment.bytes.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(segment.bytes.length * 2, segment.length + w.entries.length));
        segment.bytes.copy(grown, 0, 0, segment.length);
        segment.bytes = grown;
      }
      w.entries.copy(segment.bytes, segment.length);
      segment.length += w.entries.length;
    }
  }

  async read(shard: number, buckets: readonly number[]): Promise<(Buffer | null)[]> {
    return buckets.map((b) => {
      const segment = this.segment(shard, b);
      // A view: later appends write past `length` or into a new buffer, never over these bytes.
      return segment ? segment.bytes.subarray(0, segment.length) : null;
    });
  }

  async readExtras(shard: number, bucket: number, fields: readonly Buffer[]): Promise<(string | null)[]> {
    const extras = this.segment(shard, bucket)?.extras;
    return fields.map((f) => extras?.get(f.toString('latin1')) ?? null);
  }

  async entries(buckets: readonly number[]): Promise<number> {
    let bytes = 0;
    for (const b of buckets) {
      const held = this.buckets.get(b);
      if (held && held.expiresAt > Date.now()) for (const segment of held.shards.values()) bytes += segment.length;
    }
    return bytes / ENTRY_BYTES;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.buckets.clear();
  }

  heldBuckets(): number {
    return this.buckets.size;
  }

  private segment(shard: number, bucket: number): Segment | undefined {
    const held = this.buckets.get(bucket);
    return held && held.expiresAt > Date.now() ? held.shards.get(shard) : undefined;
  }

  /** Drops expired buckets; trims the buffers of buckets that closed a bucket length ago. */
  sweep(nowMs: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.expiresAt <= nowMs) this.buckets.delete(key);
      else if (bucket.untrimmed && bucketStart(this.layout, key + 2) <= nowMs) {
        bucket.untrimmed = false;
        for (const segment of bucket.shards.values()) {
          if (segment.bytes.length === segment.length) continue;
          const exact = Buffer.allocUnsafeSlow(segment.length);
          segment.bytes.copy(exact, 0, 0, segment.length);
          segment.bytes = exact;
        }
      }
    }
  }
}

class MemoryTermStore implements TermStore {
  /** Per kind: term → id, and the terms in id order (ids start at 1: identity 0 means unsigned). */
  private readonly kinds = new Map<InternedKind, { ids: Map<string, number>; terms: string[] }>();
  /** File terms as the Redis store keeps them (redis-dictionary.ts): leased, trimmed, their ids given again. */
  private readonly files = { ids: new Map<string, FileLease>(), terms: new Map<number, string>(), free: [] as number[], last: 0 };

  async intern(kind: InternedKind, terms: readonly string[]): Promise<number[]> {
    const dict = this.of(kind);
    return terms.map((term) => {
      let id = dict.ids.get(term);
      if (id === undefined) {
        id = dict.terms.push(term);
        dict.ids.set(term, id);
      }
      return id;
    });
  }

  async resolve(kind: InternedKind, ids: readonly number[]): Promise<(string | null)[]> {
    const { terms } = this.of(kind);
    return ids.map((id) => terms[id - 1] ?? null);
  }

  async leaseFiles(terms: readonly string[], until: readonly number[]): Promise<FileLease[]> {
    const { ids, terms: byId, free } = this.files;
    return terms.map((term, i) => {
      let lease = ids.get(term);
      if (lease === undefined) {
        lease = { id: free.shift() ?? ++this.files.last, until: 0 };
        ids.set(term, lease);
        byId.set(lease.id, term);
      }
      lease.until = Math.max(lease.until, until[i] as number);
      return { ...lease };
    });
  }

  async resolveFiles(ids: readonly number[]): Promise<({ term: string; until: number | null } | null)[]> {
    return ids.map((id) => {
      const term = this.files.terms.get(id);
      return term === undefined ? null : { term, until: (this.files.ids.get(term) as FileLease).until };
    });
  }

  /** A pass over every leased file: the memory index serves small sites, a few thousand files at most. */
  async trimFiles(limit: number, graceMs: number): Promise<number> {
    const ended = Date.now() - graceMs;
    let dropped = 0;
    for (const [term, lease] of this.files.ids) {
      if (dropped === limit) break;
      if (lease.until >= ended) continue;
      this.files.ids.delete(term);
      this.files.terms.delete(lease.id);
      this.files.free.push(lease.id);
      dropped++;
    }
    return dropped;
  }

  private of(kind: InternedKind): { ids: Map<string, number>; terms: string[] } {
    let dict = this.kinds.get(kind);
    if (!dict) this.kinds.set(kind, (dict = { ids: new Map(), terms: [] }));
    return dict;
  }
}

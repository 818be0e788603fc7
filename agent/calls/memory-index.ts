/**
 * The call index in process memory: the embedded default for the demo and small sites (DESIGN §4: it keeps
 * nothing across restarts). The same fixed-width entries as in Redis, in one growable buffer per (bucket, shard);
 * whole buckets are dropped once past retention, by a timer, and never read after their expiry. Like the
 * Redis index, a bucket's buffers are trimmed to their exact size once it has closed.
 */
import { ENTRY_BYTES, type TermKind } from './codec.js';
import { Dictionary, type TermStore } from './dictionary.js';
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

export function createMemoryCallIndex(options: LayoutOptions): MemoryCallIndex {
  const layout = layoutOf(options);
  const store = new MemoryBucketStore(layout);
  const index = new PackedCallIndex(layout, store, new Dictionary(new MemoryTermStore()));
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

class MemoryBucketStore implements BucketStore {
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
  private readonly kinds = new Map<TermKind, { ids: Map<string, number>; terms: string[] }>();

  async intern(kind: TermKind, terms: readonly string[]): Promise<number[]> {
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

  async resolve(kind: TermKind, ids: readonly number[]): Promise<(string | null)[]> {
    const { terms } = this.of(kind);
    return ids.map((id) => terms[id - 1] ?? null);
  }

  private of(kind: TermKind): { ids: Map<string, number>; terms: string[] } {
    let dict = this.kinds.get(kind);
    if (!dict) this.kinds.set(kind, (dict = { ids: new Map(), terms: [] }));
    return dict;
  }
}

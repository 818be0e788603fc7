/**
 * A prepared batch → one append per (shard, bucket): entries grouped so that the Redis store sends one append
 * per key, not one per call. A record with an `atAlt` (a local time in a repeated DST hour) is indexed under
 * both times, the second entry flagged altTime, so a window around either time finds it with no extra bucket
 * to read; lookups return it once.
 *
 * Every entry of the batch is packed into one buffer, grouped by key with a counting sort: the writes are
 * views of it. Per-key buffers and per-call arrays were the larger part of the index's allocation at 100,000
 * calls/s.
 */
import { ENTRY_BYTES, Flag, writeEntry, type Extras } from './codec.js';
import { bucketExpiresAt, bucketOf, bucketStart, shardOf, type Layout } from './layout.js';
import type { PreparedBatch } from './prepare.js';

export interface BucketWrite {
  shard: number;
  bucket: number;
  /** Epoch ms at which the bucket (entries and extras) is dropped. */
  expiresAt: number;
  /** Entries to append, ENTRY_BYTES each: a view of the batch's one buffer. */
  entries: Buffer;
  /** Overflow values keyed by the bytes of their entry: a replayed record overwrites its own value. */
  extras: [field: Buffer, value: string][];
}

/** Records whose bucket is already past retention are left out: they would expire on arrival. */
export function planWrites(layout: Layout, batch: PreparedBatch, nowMs: number): BucketWrite[] {
  // Entry k: record member[k] (~index for the altTime entry of a record), in group group[k].
  const capacity = batch.size + batch.atAlt.size;
  const member = new Int32Array(capacity);
  const group = new Int32Array(capacity);
  const groupOf = new Map<number, number>();
  const shards: number[] = [];
  const buckets: number[] = [];
  const counts: number[] = [];
  let entries = 0;
  const place = (m: number, shard: number, atMs: number) => {
    const bucket = bucketOf(layout, atMs);
    if (bucketExpiresAt(layout, bucket) <= nowMs) return;
    const key = bucket * layout.shards + shard;
    let g = groupOf.get(key);
    if (g === undefined) {
      g = counts.length;
      groupOf.set(key, g);
      shards.push(shard);
      buckets.push(bucket);
      counts.push(0);
    }
    counts[g] = (counts[g] as number) + 1;
    member[entries] = m;
    group[entries++] = g;
  };
  for (let i = 0; i < batch.size; i++) {
    const shard = shardOf(layout, batch.calledE164[i] as string);
    const at = batch.at[i] as number;
    place(i, shard, at);
    const atAlt = batch.atAlt.get(i);
    if (atAlt !== undefined && atAlt !== at) place(~i, shard, atAlt);
  }

  const bytes = Buffer.allocUnsafe(entries * ENTRY_BYTES);
  const next = new Int32Array(counts.length);
  const writes: BucketWrite[] = new Array(counts.length);
  for (let g = 0, offset = 0; g < counts.length; g++) {
    const size = (counts[g] as number) * ENTRY_BYTES;
    const bucket = buckets[g] as number;
    writes[g] = { shard: shards[g] as number, bucket, expiresAt: bucketExpiresAt(layout, bucket), entries: bytes.subarray(offset, offset + size), extras: [] };
    next[g] = offset;
    offset += size;
  }
  for (let k = 0; k < entries; k++) {
    const g = group[k] as number;
    const w = writes[g] as BucketWrite;
    const m = member[k] as number;
    const alt = m < 0;
    const i = alt ? ~m : m;
    const at = batch.at[i] as number;
    const atAlt = batch.atAlt.get(i);
    const base = batch.extras.get(i);
    const spill: Extras | undefined = alt ? { ...base, at } : atAlt === undefined ? base : { ...base, atAlt };
    const offset = next[g] as number;
    next[g] = offset + ENTRY_BYTES;
    writeEntry(bytes, offset, {
      called: batch.called[i] as number,
      calling: batch.calling[i] as number,
      offsetMs: (alt ? (atAlt as number) : at) - bucketStart(layout, w.bucket),
      ingressId: batch.ids.ingress[i] as number,
      identityId: batch.ids.identity[i] as number,
      sourceId: batch.ids.source[i] as number,
      flags: (batch.flags[i] as number) | (alt ? Flag.altTime : 0) | (spill ? Flag.extras : 0),
      fileId: batch.ids.file[i] as number,
      lineOffset: batch.lineOffset[i] as number,
    });
    if (spill) w.extras.push([bytes.subarray(offset, offset + ENTRY_BYTES), JSON.stringify(spill)]);
  }
  return writes;
}

/**
 * A prepared batch → one append per (shard, bucket): entries grouped so that the Redis store sends one APPEND
 * per key, not one per call. A record with an `atAlt` (a local time in a repeated DST hour) is indexed under
 * both times, the second entry flagged altTime, so a window around either time finds it with no extra bucket
 * to read; lookups return it once.
 */
import { ENTRY_BYTES, Flag, writeEntry, type Extras } from './codec.js';
import { bucketExpiresAt, bucketOf, bucketStart, shardOf, type Layout } from './layout.js';
import type { PreparedBatch } from './prepare.js';

export interface BucketWrite {
  shard: number;
  bucket: number;
  /** Epoch ms at which the bucket (entries and extras) is dropped. */
  expiresAt: number;
  /** Entries to append, ENTRY_BYTES each. */
  entries: Buffer;
  /** Overflow values keyed by the bytes of their entry: a replayed record overwrites its own value. */
  extras: [field: Buffer, value: string][];
}

interface Group {
  shard: number;
  bucket: number;
  /** Batch index of each entry's record; ~index for the altTime entry of a record. */
  members: number[];
}

/** Records whose bucket is already past retention are left out: they would expire on arrival. */
export function planWrites(layout: Layout, batch: PreparedBatch, nowMs: number): BucketWrite[] {
  const groups = new Map<number, Map<number, Group>>();
  const place = (member: number, shard: number, atMs: number) => {
    const bucket = bucketOf(layout, atMs);
    if (bucketExpiresAt(layout, bucket) <= nowMs) return;
    let byShard = groups.get(bucket);
    if (!byShard) groups.set(bucket, (byShard = new Map()));
    const group = byShard.get(shard);
    if (group) group.members.push(member);
    else byShard.set(shard, { shard, bucket, members: [member] });
  };
  for (let i = 0; i < batch.size; i++) {
    const shard = shardOf(layout, batch.calledE164[i] as string);
    const at = batch.at[i] as number;
    place(i, shard, at);
    const atAlt = batch.atAlt.get(i);
    if (atAlt !== undefined && atAlt !== at) place(~i, shard, atAlt);
  }

  const writes: BucketWrite[] = [];
  for (const byShard of groups.values()) {
    for (const { shard, bucket, members } of byShard.values()) {
      const start = bucketStart(layout, bucket);
      const entries = Buffer.allocUnsafe(members.length * ENTRY_BYTES);
      const extras: BucketWrite['extras'] = [];
      members.forEach((member, n) => {
        const alt = member < 0;
        const i = alt ? ~member : member;
        const at = batch.at[i] as number;
        const atAlt = batch.atAlt.get(i);
        const base = batch.extras.get(i);
        const spill: Extras | undefined = alt ? { ...base, at } : atAlt === undefined ? base : { ...base, atAlt };
        const offset = n * ENTRY_BYTES;
        writeEntry(entries, offset, {
          called: batch.called[i] as number,
          calling: batch.calling[i] as number,
          offsetMs: (alt ? (atAlt as number) : at) - start,
          ingressId: batch.ids.ingress[i] as number,
          identityId: batch.ids.identity[i] as number,
          sourceId: batch.ids.source[i] as number,
          flags: (batch.flags[i] as number) | (alt ? Flag.altTime : 0) | (spill ? Flag.extras : 0),
        });
        if (spill) extras.push([entries.subarray(offset, offset + ENTRY_BYTES), JSON.stringify(spill)]);
      });
      writes.push({ shard, bucket, expiresAt: bucketExpiresAt(layout, bucket), entries, extras });
    }
  }
  return writes;
}

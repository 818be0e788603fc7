/**
 * Where a call lives in the index: a shard of its called number and a time bucket of its start.
 * Retention is per bucket (DESIGN §6: expiring time buckets, never scans): a bucket is dropped whole
 * `retention` after its end. Both stores share this arithmetic; only the Redis store names keys.
 */
import { CallIndexInputError } from './errors.js';
import { fnv1a } from './fnv1a.js';

export interface LayoutOptions {
  retentionDays: number;
  bucketSec: number;
  /** Shards of the called number; a lookup reads one shard. Default 1024. */
  shards?: number;
}

export interface Layout {
  readonly shards: number;
  readonly bucketMs: number;
  readonly retentionMs: number;
}

/**
 * A shard's bucket should hold tens to thousands of calls: each Redis key costs ~130 bytes and each batch one
 * APPEND per key touched. 1024 keeps a 1-million-calls-a-day site at ~40 calls per key and a lookup at 10
 * million a day reading ~10 KB per bucket (bench/call-index.ts measures both).
 */
export const DEFAULT_SHARDS = 1024;
/** An entry stores its time as a uint32 ms offset within its bucket. */
const MAX_BUCKET_MS = 2 ** 32 - 1;
/** A lookup reads every bucket of its window in one round trip: bound it. */
export const MAX_LOOKUP_BUCKETS = 1024;

export function layoutOf(options: LayoutOptions): Layout {
  const { retentionDays, bucketSec, shards = DEFAULT_SHARDS } = options;
  const bucketMs = bucketSec * 1000;
  if (!Number.isInteger(bucketMs) || bucketMs < 1 || bucketMs > MAX_BUCKET_MS) {
    throw new CallIndexInputError('bucketSec', `must be a whole number of ms between 0.001 and ${MAX_BUCKET_MS / 1000} s (got ${bucketSec})`);
  }
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new CallIndexInputError('retentionDays', `must be a positive number (got ${retentionDays})`);
  }
  if (!Number.isInteger(shards) || shards < 1 || shards > 65_536) {
    throw new CallIndexInputError('shards', `must be an integer between 1 and 65536 (got ${shards})`);
  }
  return { shards, bucketMs, retentionMs: Math.round(retentionDays * 86_400_000) };
}

export function shardOf(layout: Layout, called: string): number {
  return fnv1a(called) % layout.shards;
}

export function bucketOf(layout: Layout, atMs: number): number {
  return Math.floor(atMs / layout.bucketMs);
}

export function bucketStart(layout: Layout, bucket: number): number {
  return bucket * layout.bucketMs;
}

/** A bucket is kept until `retention` after its last millisecond. */
export function bucketExpiresAt(layout: Layout, bucket: number): number {
  return (bucket + 1) * layout.bucketMs + layout.retentionMs;
}

export function bucketsCovering(layout: Layout, fromMs: number, toMs: number): number[] {
  const first = bucketOf(layout, fromMs);
  const last = bucketOf(layout, toMs);
  if (last - first + 1 > MAX_LOOKUP_BUCKETS) {
    throw new CallIndexInputError('lookup.window', `spans ${last - first + 1} buckets, more than ${MAX_LOOKUP_BUCKETS}`);
  }
  const buckets: number[] = [];
  for (let b = first; b <= last; b++) buckets.push(b);
  return buckets;
}

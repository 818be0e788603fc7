/**
 * Lookup core (DESIGN §1 "Searching for a call"): scan a shard's buckets for entries of the called number whose
 * time lies in the window, drop the copies of one record (a replayed batch, or both times of a DST-ambiguous
 * call), and keep the nearest to the window's middle first.
 */
import { ENTRY_BYTES, Flag, packCalled, readCalled, readEntry, readOffsetMs, type Entry, type Extras } from './codec.js';
import { CallIndexInputError } from './errors.js';
import { bucketStart, bucketsCovering, shardOf, type Layout } from './layout.js';

/** A hop answer carries at most 20 matches (proto HopAnswer): never more by default. */
export const DEFAULT_LOOKUP_LIMIT = 20;

export interface LookupQuery {
  called: string;
  packedCalled: number;
  shard: number;
  buckets: number[];
  fromMs: number;
  toMs: number;
  limit: number;
}

export function lookupQuery(layout: Layout, called: string, fromMs: number, toMs: number, limit: number): LookupQuery {
  const packedCalled = packCalled(called, 'lookup.called');
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs > toMs) {
    throw new CallIndexInputError('lookup.window', `must be finite epoch ms with from <= to (got ${fromMs}..${toMs})`);
  }
  if (!Number.isInteger(limit) || limit < 1) throw new CallIndexInputError('lookup.limit', `must be a positive integer (got ${limit})`);
  return { called, packedCalled, shard: shardOf(layout, called), buckets: bucketsCovering(layout, fromMs, toMs), fromMs, toMs, limit };
}

export interface Hit {
  bucket: number;
  entry: Entry;
  /** The time this entry indexes: the record's `at`, or its `atAlt` on an altTime entry. */
  timeMs: number;
  /** The entry's bytes: the key of its extras. */
  field: Buffer;
}

/** Appends to `out` the entries of `bytes` (one bucket's) that match the query. */
export function scanBucket(layout: Layout, query: LookupQuery, bucket: number, bytes: Buffer, out: Hit[]): void {
  const start = bucketStart(layout, bucket);
  const end = bytes.length - (bytes.length % ENTRY_BYTES);
  for (let o = 0; o < end; o += ENTRY_BYTES) {
    if (readCalled(bytes, o) !== query.packedCalled) continue;
    const timeMs = start + readOffsetMs(bytes, o);
    if (timeMs < query.fromMs || timeMs > query.toMs) continue;
    out.push({ bucket, entry: readEntry(bytes, o), timeMs, field: bytes.subarray(o, o + ENTRY_BYTES) });
  }
}

export interface Found {
  /** The bucket of the entry kept: its expiry bounds the lease of the entry's file term (dictionary.ts). */
  bucket: number;
  entry: Entry;
  at: number;
  atAlt: number | undefined;
  extras: Extras | undefined;
  /** |Δt| between the window's middle and the nearest of the record's times in the window. */
  distance: number;
}

/** One per record, nearest first (ties: earlier call first), at most `limit`. */
export function rank(query: LookupQuery, hits: readonly Hit[], extrasOf: (hit: Hit) => Extras | undefined): Found[] {
  const middle = (query.fromMs + query.toMs) / 2;
  const best = new Map<string, Found>();
  for (const hit of hits) {
    const { entry, timeMs } = hit;
    const extras = entry.flags & Flag.extras ? extrasOf(hit) : undefined;
    const alt = (entry.flags & Flag.altTime) !== 0;
    const at = alt ? (extras?.at ?? timeMs) : timeMs;
    const atAlt = alt ? timeMs : extras?.atAlt;
    // "The same call" for dedupe: called (fixed here), calling, at, source, ingress.
    const key = `${at}:${entry.flags & Flag.callingRaw}:${entry.calling}:${entry.sourceId}:${entry.ingressId}`;
    const distance = Math.abs(timeMs - middle);
    const seen = best.get(key);
    if (!seen || distance < seen.distance) best.set(key, { bucket: hit.bucket, entry, at, atAlt, extras, distance });
  }
  return [...best.values()].sort((a, b) => a.distance - b.distance || a.at - b.at).slice(0, query.limit);
}

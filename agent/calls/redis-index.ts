/**
 * The call index in Redis (production; shared by the agent instances of a site).
 *
 * Keys (prefix default `ht:ci2:`): `<prefix>{<shard>}:<bucket>` is a STRING of fixed-width entries, appended to;
 * `<prefix>{<shard>}:<bucket>:x` is a HASH of extras keyed by entry bytes; `<prefix>{count}:<bucket>` counts a
 * bucket's entries (the index size metric). The hash tag is the shard of the
 * called number, so every key a lookup reads is in one Redis Cluster slot. Each key expires at its bucket's end
 * + retention: every append sets it with PEXPIREAT … LT, so a key expires at the earliest expiry any append
 * computed for it and never outlives a file lease computed for it (dictionary.ts), even after a restart with a
 * shorter retention. Retention costs no scan.
 * A batch is one pipeline per chunk of keys: the extras (HSET, rare), then one script call that appends every
 * key's entries out of one blob, so an entry is never visible without its extras and a batch of 5,000 calls
 * costs a few commands rather than one or two per key.
 *
 * Redis grows an APPENDed string greedily, to twice its new length, so a bucket holds up to 2× its entries'
 * bytes. Once a bucket has closed (a bucket length after its end, for late CDR files), each key this process
 * appended to is sealed: rewritten in place at its exact size by a one-key script. A late append reopens the
 * key and it is sealed again on the next sweep.
 */
import { Cluster } from 'ioredis';
import { ENTRY_BYTES } from './codec.js';
import { Dictionary, type FileTermOptions } from './dictionary.js';
import { CallIndexInputError } from './errors.js';
import { bucketStart, layoutOf, type Layout, type LayoutOptions } from './layout.js';
import { PackedCallIndex, type BucketStore } from './packed-index.js';
import { RedisTermStore } from './redis-dictionary.js';
import { execAll, execChunked } from './redis-exec.js';
import type { RedisClient } from '../../config/redis-connection.js';
import { RedisLink } from './redis-link.js';
import type { SizedCallIndex } from './store.js';
import type { BucketWrite } from './writes.js';

/** `2`: the entry layout's version (34-byte entries with their evidence): an older agent's keys are not read as these. */
export const DEFAULT_KEY_PREFIX = 'ht:ci2:';

export interface RedisCallIndexOptions extends LayoutOptions, FileTermOptions {
  url: string;
  /** `url` is a seed of a Redis Cluster. */
  cluster?: boolean;
  keyPrefix?: string;
  /** How long a lookup may wait for Redis before StoreUnavailableError, ms (writes: 3×). Default 1000. */
  timeoutMs?: number;
}

export interface RedisCallIndex extends SizedCallIndex {
  /** Seals the closed buckets this process appended to now, rather than at the next sweep. */
  seal(): Promise<void>;
}

export function createRedisCallIndex(options: RedisCallIndexOptions): RedisCallIndex {
  const layout = layoutOf(options);
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (/[{}]/.test(keyPrefix)) throw new CallIndexInputError('keyPrefix', `must not contain { or }: the shard is the key's hash tag (got ${keyPrefix})`);
  const link = new RedisLink({
    url: options.url,
    ...(options.cluster && { cluster: true }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    // A restarted Redis may have lost its data: dictionary ids must be established again.
    onReconnect: () => dictionary.forget(),
  });
  const dictionary = new Dictionary(new RedisTermStore(link, keyPrefix, layout.retentionMs + layout.bucketMs), options.fileTrimGraceMs);
  const store = new RedisBucketStore(link, layout, keyPrefix);
  return Object.assign(new PackedCallIndex(layout, store, dictionary), { seal: () => store.seal(Date.now()) });
}

/** Pipelines stay small enough to build in a few ms (see execChunked). */
const WRITES_PER_PIPELINE = 2048;

/**
 * Appends each key's entries out of ARGV[1]; ARGV[2] holds, per key, its byte count (u32) and expiry (epoch ms,
 * double), little-endian. Every append sets the expiry, LT (a key without one takes it): keys are created only
 * here, so none is left without one, and none expires later than an append computed (a lowered retention).
 */
const APPEND_SCRIPT = `
local blob, head = ARGV[1], ARGV[2]
local at, h = 1, 1
for i = 1, #KEYS do
  local n, expires
  n, expires, h = struct.unpack('<I4d', head, h)
  redis.call('APPEND', KEYS[i], string.sub(blob, at, at + n - 1))
  redis.call('PEXPIREAT', KEYS[i], string.format('%.0f', expires), 'LT')
  at = at + n
end
return #KEYS`;
const HEAD_BYTES_PER_KEY = 12;

/** A key's head for the append script (its `'<I4d'`): the length of its entries, then their expiry. */
function writeHead(head: Buffer, at: number, w: BucketWrite): void {
  head.writeUInt32LE(w.entries.length, at);
  head.writeDoubleLE(w.expiresAt, at + 4);
}

interface AppendCommander {
  htAppendEntries(numKeys: number, ...args: (string | Buffer | number)[]): Promise<number>;
  /** The same script for one key, declared so: a cluster client's auto-pipelining routes a command by its first key. */
  htAppendEntry(key: string, blob: Buffer, head: Buffer): Promise<number>;
}

const KEYS_PER_SEAL = 512;

/** Rewrites a string at its exact size, keeping its expiry. One key: safe on Redis Cluster. */
const SEAL_SCRIPT = "local v = redis.call('GET', KEYS[1]) if v then redis.call('SET', KEYS[1], v, 'KEEPTTL') end return 0";

class RedisBucketStore implements BucketStore {
  /** Entry keys appended to since they were last sealed, by bucket. */
  private readonly unsealed = new Map<number, Set<string>>();
  /** Key names of the buckets being written, by bucket then shard: made once, not once per batch. */
  private readonly keyNames = new Map<number, Map<number, string>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly link: RedisLink,
    private readonly layout: Layout,
    private readonly keyPrefix: string,
  ) {
    this.sweeper = setInterval(() => this.seal(Date.now()).catch(() => undefined), Math.min(layout.bucketMs, 60_000)).unref();
  }

  append(writes: readonly BucketWrite[]): Promise<void> {
    return this.link.run('add', async (redis) => {
      defineAppend(redis);
      if (redis instanceof Cluster) return this.appendEach(redis, writes);
      for (let start = 0; start < writes.length; start += WRITES_PER_PIPELINE) {
        const part = writes.slice(start, start + WRITES_PER_PIPELINE);
        const keys: string[] = new Array(part.length);
        const blobs: Buffer[] = new Array(part.length);
        const head = Buffer.allocUnsafe(part.length * HEAD_BYTES_PER_KEY);
        const pipeline = redis.pipeline();
        part.forEach((w, i) => {
          const key = this.entriesKey(w.shard, w.bucket);
          keys[i] = key;
          blobs[i] = w.entries;
          writeHead(head, i * HEAD_BYTES_PER_KEY, w);
          if (w.extras.length > 0) {
            pipeline.hset(`${key}:x`, ...w.extras.flat());
            pipeline.pexpireat(`${key}:x`, w.expiresAt, 'LT');
          }
        });
        (pipeline as unknown as AppendCommander).htAppendEntries(keys.length, ...keys, concatViews(blobs), head);
        for (const [bucket, { count, expiresAt }] of entriesPerBucket(part)) {
          pipeline.incrby(this.countKey(bucket), count);
          pipeline.pexpireat(this.countKey(bucket), expiresAt, 'LT');
        }
        await execAll(pipeline);
        for (const w of part) this.keysOf(this.unsealed, w.bucket).add(this.entriesKey(w.shard, w.bucket));
      }
    });
  }

  /**
   * On a Redis Cluster one script may not touch keys of several slots: each key gets its own call of the append
   * script (extras first, on the same node), and the client pipelines them per node.
   */
  private async appendEach(redis: Cluster, writes: readonly BucketWrite[]): Promise<void> {
    const commander = redis as unknown as AppendCommander;
    for (let start = 0; start < writes.length; start += WRITES_PER_PIPELINE) {
      const part = writes.slice(start, start + WRITES_PER_PIPELINE);
      const sent: Promise<unknown>[] = [];
      for (const w of part) {
        const key = this.entriesKey(w.shard, w.bucket);
        if (w.extras.length > 0) sent.push(redis.hset(`${key}:x`, ...w.extras.flat()), redis.pexpireat(`${key}:x`, w.expiresAt, 'LT'));
        const head = Buffer.allocUnsafe(HEAD_BYTES_PER_KEY);
        writeHead(head, 0, w);
        sent.push(commander.htAppendEntry(key, w.entries, head));
      }
      for (const [bucket, { count, expiresAt }] of entriesPerBucket(part)) {
        sent.push(redis.incrby(this.countKey(bucket), count), redis.pexpireat(this.countKey(bucket), expiresAt, 'LT'));
      }
      await Promise.all(sent);
      for (const w of part) this.keysOf(this.unsealed, w.bucket).add(this.entriesKey(w.shard, w.bucket));
    }
  }

  read(shard: number, buckets: readonly number[]): Promise<(Buffer | null)[]> {
    return this.link.ask('lookup', async (redis) => {
      const pipeline = redis.pipeline();
      for (const bucket of buckets) pipeline.getBuffer(this.entriesKey(shard, bucket));
      return (await execAll(pipeline)) as (Buffer | null)[];
    });
  }

  readExtras(shard: number, bucket: number, fields: readonly Buffer[]): Promise<(string | null)[]> {
    return this.link.ask('lookup', (redis) => redis.hmget(`${this.entriesKey(shard, bucket)}:x`, ...fields));
  }

  entries(buckets: readonly number[]): Promise<number> {
    return this.link.ask('size', async (redis) => {
      const counts = buckets.length === 0 ? [] : await redis.mget(buckets.map((b) => this.countKey(b)));
      return counts.reduce((sum, c) => sum + Number(c ?? 0), 0);
    });
  }

  ping(): Promise<boolean> {
    return this.link.ping();
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    return this.link.close();
  }

  /** Seals the keys of every bucket that closed a bucket length ago; a failed bucket is retried next sweep. */
  async seal(nowMs: number): Promise<void> {
    for (const [bucket, keys] of this.unsealed) {
      if (bucketStart(this.layout, bucket + 2) > nowMs) continue;
      this.unsealed.delete(bucket);
      try {
        await this.link.run('seal', async (redis) => {
          if (!(redis instanceof Cluster)) return execChunked(redis, [...keys], KEYS_PER_SEAL, (pipeline, key) => pipeline.eval(SEAL_SCRIPT, 1, key));
          const all = [...keys];
          for (let i = 0; i < all.length; i += KEYS_PER_SEAL) await Promise.all(all.slice(i, i + KEYS_PER_SEAL).map((key) => redis.eval(SEAL_SCRIPT, 1, key)));
        });
      } catch (err) {
        const reopened = this.unsealed.get(bucket);
        this.unsealed.set(bucket, reopened ? new Set([...keys, ...reopened]) : keys);
        throw err;
      }
    }
  }

  private keysOf(byBucket: Map<number, Set<string>>, bucket: number): Set<string> {
    let keys = byBucket.get(bucket);
    if (!keys) byBucket.set(bucket, (keys = new Set()));
    return keys;
  }

  /** Entries appended to a bucket, over all shards and agents: the index's size without a scan. */
  private countKey(bucket: number): string {
    return `${this.keyPrefix}{count}:${bucket}`;
  }

  private entriesKey(shard: number, bucket: number): string {
    let names = this.keyNames.get(bucket);
    if (names === undefined) {
      // Batches write the last few buckets: older ones are rarely written again.
      if (this.keyNames.size >= 8) this.keyNames.delete(this.keyNames.keys().next().value as number);
      this.keyNames.set(bucket, (names = new Map()));
    }
    let key = names.get(shard);
    if (key === undefined) names.set(shard, (key = `${this.keyPrefix}{${shard}}:${bucket}`));
    return key;
  }
}

function entriesPerBucket(writes: readonly BucketWrite[]): Map<number, { count: number; expiresAt: number }> {
  const per = new Map<number, { count: number; expiresAt: number }>();
  for (const w of writes) {
    const seen = per.get(w.bucket);
    if (seen) seen.count += w.entries.length / ENTRY_BYTES;
    else per.set(w.bucket, { count: w.entries.length / ENTRY_BYTES, expiresAt: w.expiresAt });
  }
  return per;
}

/** The append script as a command of this connection (ioredis sends EVALSHA, and the script when Redis lacks it). */
function defineAppend(redis: RedisClient): void {
  if ((redis as unknown as Partial<AppendCommander>).htAppendEntries !== undefined) return;
  redis.defineCommand('htAppendEntries', { lua: APPEND_SCRIPT });
  redis.defineCommand('htAppendEntry', { lua: APPEND_SCRIPT, numberOfKeys: 1 });
}

/** The entries of a chunk of writes in one buffer: views of one batch buffer that follow each other are not copied. */
function concatViews(views: readonly Buffer[]): Buffer {
  const first = views[0];
  if (first === undefined) return Buffer.alloc(0);
  let contiguous = true;
  let length = first.length;
  for (let i = 1; i < views.length; i++) {
    const prev = views[i - 1] as Buffer;
    const v = views[i] as Buffer;
    if (v.buffer !== prev.buffer || v.byteOffset !== prev.byteOffset + prev.length) contiguous = false;
    length += v.length;
  }
  return contiguous ? Buffer.from(first.buffer, first.byteOffset, length) : Buffer.concat(views, length);
}

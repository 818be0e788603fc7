/**
 * The call index in Redis (production; shared by the agent instances of a site).
 *
 * Keys (prefix default `ht:ci:`): `<prefix>{<shard>}:<bucket>` is a STRING of 26-byte entries, appended to
 * with APPEND; `<prefix>{<shard>}:<bucket>:x` is a HASH of extras keyed by entry bytes. The hash tag is the
 * shard of the called number, so every key a lookup reads is in one Redis Cluster slot. Each key expires
 * at its bucket's end + retention (PEXPIREAT, sent once per key per connection): retention costs no scan.
 * Writes are one pipeline per batch, extras before entries, so that an entry is never visible without them.
 *
 * Redis grows an APPENDed string greedily, to twice its new length, so a bucket holds up to 2× its entries'
 * bytes. Once a bucket has closed (a bucket length after its end, for late CDR files), each key this process
 * appended to is sealed: rewritten in place at its exact size by a one-key script. A late append reopens the
 * key and it is sealed again on the next sweep.
 */
import type { ChainableCommander } from 'ioredis';
import { Dictionary } from './dictionary.js';
import { CallIndexInputError } from './errors.js';
import { bucketStart, layoutOf, type Layout, type LayoutOptions } from './layout.js';
import { PackedCallIndex, type BucketStore } from './packed-index.js';
import { RedisTermStore } from './redis-dictionary.js';
import { execAll, execChunked } from './redis-exec.js';
import { RedisLink } from './redis-link.js';
import type { CallIndex } from './store.js';
import type { BucketWrite } from './writes.js';

export const DEFAULT_KEY_PREFIX = 'ht:ci:';

export interface RedisCallIndexOptions extends LayoutOptions {
  url: string;
  keyPrefix?: string;
  /** How long a lookup may wait for Redis before StoreUnavailableError, ms (writes: 3×). Default 1000. */
  timeoutMs?: number;
}

export interface RedisCallIndex extends CallIndex {
  /** Seals the closed buckets this process appended to now, rather than at the next sweep. */
  seal(): Promise<void>;
}

export function createRedisCallIndex(options: RedisCallIndexOptions): RedisCallIndex {
  const layout = layoutOf(options);
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (/[{}]/.test(keyPrefix)) throw new CallIndexInputError('keyPrefix', `must not contain { or }: the shard is the key's hash tag (got ${keyPrefix})`);
  const link = new RedisLink({
    url: options.url,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    // A restarted Redis may have lost its data: dictionary ids and key expiries must be established again.
    onReconnect: () => {
      dictionary.forget();
      store.forgetExpiries();
    },
  });
  const dictionary = new Dictionary(new RedisTermStore(link, keyPrefix));
  const store = new RedisBucketStore(link, layout, keyPrefix);
  return Object.assign(new PackedCallIndex(layout, store, dictionary), { seal: () => store.seal(Date.now()) });
}

/** Pipelines stay small enough to build in a few ms (see execChunked). */
const WRITES_PER_PIPELINE = 2048;
const KEYS_PER_SEAL = 512;

/** Rewrites a string at its exact size, keeping its expiry. One key: safe on Redis Cluster. */
const SEAL_SCRIPT = "local v = redis.call('GET', KEYS[1]) if v then redis.call('SET', KEYS[1], v, 'KEEPTTL') end return 0";

class RedisBucketStore implements BucketStore {
  /** Keys that got their PEXPIREAT on this connection, by bucket, dropped once the bucket has expired. */
  private readonly expiring = new Map<number, { expiresAt: number; keys: Set<string> }>();
  /** Entry keys appended to since they were last sealed, by bucket. */
  private readonly unsealed = new Map<number, Set<string>>();
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
      this.pruneExpiries(Date.now());
      // The keys given an expiry by the pipeline being built: remembered once it is acknowledged.
      let expiring: { w: BucketWrite; key: string }[] = [];
      const expire = (pipeline: ChainableCommander, w: BucketWrite, key: string) => {
        if (this.expiring.get(w.bucket)?.keys.has(key)) return;
        pipeline.pexpireat(key, w.expiresAt);
        expiring.push({ w, key });
      };
      const queue = (pipeline: ChainableCommander, w: BucketWrite) => {
        const key = this.entriesKey(w.shard, w.bucket);
        if (w.extras.length > 0) {
          pipeline.hset(`${key}:x`, ...w.extras.flat());
          expire(pipeline, w, `${key}:x`);
        }
        pipeline.append(key, w.entries);
        expire(pipeline, w, key);
      };
      const acknowledged = (part: readonly BucketWrite[]) => {
        for (const w of part) this.keysOf(this.unsealed, w.bucket).add(this.entriesKey(w.shard, w.bucket));
        for (const { w, key } of expiring) {
          let bucket = this.expiring.get(w.bucket);
          if (!bucket) this.expiring.set(w.bucket, (bucket = { expiresAt: w.expiresAt, keys: new Set() }));
          bucket.keys.add(key);
        }
        expiring = [];
      };
      await execChunked(redis, writes, WRITES_PER_PIPELINE, queue, acknowledged);
    });
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
        await this.link.run('seal', (redis) => execChunked(redis, [...keys], KEYS_PER_SEAL, (pipeline, key) => pipeline.eval(SEAL_SCRIPT, 1, key)));
      } catch (err) {
        const reopened = this.unsealed.get(bucket);
        this.unsealed.set(bucket, reopened ? new Set([...keys, ...reopened]) : keys);
        throw err;
      }
    }
  }

  forgetExpiries(): void {
    this.expiring.clear();
  }

  private pruneExpiries(nowMs: number): void {
    for (const [bucket, { expiresAt }] of this.expiring) if (expiresAt <= nowMs) this.expiring.delete(bucket);
  }

  private keysOf(byBucket: Map<number, Set<string>>, bucket: number): Set<string> {
    let keys = byBucket.get(bucket);
    if (!keys) byBucket.set(bucket, (keys = new Set()));
    return keys;
  }

  private entriesKey(shard: number, bucket: number): string {
    return `${this.keyPrefix}{${shard}}:${bucket}`;
  }
}

/**
 * The DNO cache in Redis, shared by the agent instances of one site. Every key carries the hash tag
 * `{dno:<site>}`, so the whole cache lives in one Redis Cluster slot and MULTI/EXEC spans it.
 *
 *   {dno:S}:version         list version
 *   {dno:S}:list            the hub list's id (set by each full replace)
 *   {dno:S}:gen             "<generation>:<buckets>": which of two generations holds the entries
 *   {dno:S}:g<G>:b<n>       string, bucket n of generation G: one line per entry (bucket-text.ts)
 *   {dno:S}:g<G>:payload    hash: payload id → payload JSON (a list has few distinct reason/source pairs)
 *   {dno:S}:staging         "<generation>:<buckets>" of a full replace being written (dropped by the next one)
 *   {dno:S}:lease           sync lease owner (SET NX PX)
 *   {dno:S}:changed         pub/sub channel, message = new version, or a small delta as JSON (announce.ts)
 *
 * A delta reads the buckets it touches and rewrites them in one MULTI/EXEC under WATCH of the version (every
 * writer bumps it). A full replace writes the other generation in pipelined batches, then switches to it in
 * one MULTI/EXEC: readers see the old list or the new one, never a mix. The bucket count is chosen at each
 * full replace; incremental deltas go into the current buckets. On a Redis Cluster (`cluster`) the one hash tag
 * keeps each script, pipeline and transaction in one slot, and the change channel reaches every subscriber.
 */
import type { ChainableCommander } from 'ioredis';
import { openRedis, type RedisClient, unwatch } from '../../config/redis-connection.js';
import { targetText } from '../../proto/dno-target.js';
import type { DnoDelta, DnoEntry } from '../../proto/messages.js';
import { StoreUnavailableError } from '../calls/store.js';
import { bucketOf, bucketsFor, eachLine, formatBucket, parseBucket, PayloadIds } from './bucket-text.js';
import { EntryDecoder, fieldOf, fieldOfTarget } from './entry-codec.js';
import { announceText, heard } from './announce.js';
import { announcement, appliesTo, DnoCacheChangedError, ENTRY_CHUNK, type DnoAnnouncedChange, type DnoCache, type DnoEntryGroup, type DnoPosition } from './store.js';

/** Buckets per round trip of a full replace's writes. */
const BUCKET_BATCH = 512;
/**
 * Buckets per round trip of entries(): ~16k entries, ~250 KB of reply. Smaller than the writes' batch because a
 * batch's reply stays alive while its entries are handed out: a large one outlives young-generation GCs and
 * is promoted, leaving tens of MB of old-generation garbage after each rebuild of a 3-million list.
 */
const READ_BATCH = 128;
/** Entries a full replace gathers in memory before appending them to the staging buckets. */
const FLUSH_ENTRIES = 200_000;
const APPLY_ATTEMPTS = 10;
const CONCURRENT_REPLACE = 'dno apply (another full replace ran at the same time)';

/** APPEND ARGV[i] to KEYS[i], for every i. */
const APPEND_EACH = `for i = 1, #KEYS do redis.call('APPEND', KEYS[i], ARGV[i]) end return #KEYS`;

const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

interface Generation {
  gen: number;
  buckets: number;
}

export interface RedisDnoCacheOptions {
  url: string;
  /** `url` is a seed of a Redis Cluster. */
  cluster?: boolean | undefined;
  /** The site (agent deployment) whose instances share this cache. */
  site: string;
}

export class RedisDnoCache implements DnoCache {
  private readonly redis: RedisClient;
  private readonly subscriber: RedisClient;
  /** Settles once the change channel is subscribed (or that failed): calls wait for it, so a listener added
   * before a change hears it. */
  private readonly subscribed: Promise<void>;
  private readonly listeners = new Set<(version: number, change?: DnoAnnouncedChange) => void>();
  private readonly prefix: string;
  /** apply() uses WATCH on the shared connection: one at a time per instance. */
  private applying: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: RedisDnoCacheOptions) {
    this.prefix = `{dno:${opts.site}}`;
    const connect = () => openRedis(opts, { maxRetriesPerRequest: 2 });
    this.redis = connect();
    this.redis.on('error', () => undefined);
    const channel = this.key('changed');
    this.subscriber = connect();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      const { version, change } = heard(message);
      for (const listener of this.listeners) (change ? listener(version, change) : listener(version));
    });
    // SUBSCRIBE is idempotent: renew it on every (re)connection, also after a first attempt that failed.
    this.subscriber.on('ready', () => void this.subscriber.subscribe(channel).catch(() => undefined));
    this.subscribed = this.subscriber.subscribe(channel).then(
      () => undefined,
      () => undefined,
    );
  }

  async version(): Promise<number> {
    return this.guard('dno version', async () => Number((await this.redis.get(this.key('version'))) ?? 0));
  }

  async position(): Promise<DnoPosition> {
    return this.guard('dno position', async () => {
      const [version, list] = await this.redis.mget(this.key('version'), this.key('list'));
      return { list: list ?? null, version: Number(version ?? 0) };
    });
  }

  apply(delta: DnoDelta): Promise<boolean> {
    const run = this.applying.then(() => this.guard('dno apply', () => this.applyNow(delta)));
    this.applying = run.catch(() => undefined);
    return run;
  }

  replace(version: number, groups: AsyncIterable<DnoEntryGroup>, count: number, list?: string): Promise<void> {
    const run = this.applying.then(() => this.guard('dno replace', () => this.replaceFrom(version, groups, count, list)));
    this.applying = run.catch(() => undefined);
    return run;
  }

  async *entries(): AsyncIterable<DnoEntry[]> {
    const [v, g] = await this.guard('dno entries', () => this.redis.mget(this.key('version'), this.key('gen')));
    const start = Number(v ?? 0);
    if (!g) return;
    const { gen, buckets } = parseGeneration(g);
    const payloads = await this.guard('dno entries', () => this.redis.hgetall(this.payloadKey(gen)));
    const decoder = new EntryDecoder();
    const chunk: DnoEntry[] = [];
    const collect = (field: string, id: string) => {
      chunk.push(decoder.entryOf(field, id === '' ? '' : (payloads[id] ?? '')));
    };
    for (let first = 0; first < buckets; first += READ_BATCH) {
      const keys = range(first, Math.min(first + READ_BATCH, buckets)).map((b) => this.bucketKey(gen, b));
      const read = this.redis.pipeline().get(this.key('version')).mget(...keys);
      const replies = await this.guard('dno entries', () => execOrThrow(read));
      const [now, texts] = replies as [string | null, (string | null)[]];
      if (Number(now ?? 0) !== start) throw new DnoCacheChangedError(start, Number(now ?? 0));
      for (const text of texts) {
        eachLine(text, collect);
        while (chunk.length >= ENTRY_CHUNK) yield chunk.splice(0, ENTRY_CHUNK);
      }
    }
    if (chunk.length > 0) yield chunk;
    // Each batch checked the version before its reads; this catches a change during the last batch.
    const end = await this.version();
    if (end !== start) throw new DnoCacheChangedError(start, end);
  }

  onChange(listener: (version: number, change?: DnoAnnouncedChange) => void): () => void {
    // A wrapper per subscription: the same function subscribed twice is unsubscribed once per call.
    const own = (version: number, change?: DnoAnnouncedChange) => listener(version, change);
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  async acquireSyncLease(owner: string, ttlMs: number): Promise<boolean> {
    const lease = this.key('lease');
    return (await this.guard('dno lease', () => this.redis.eval(LEASE, 1, lease, owner, String(ttlMs)))) === 1;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await Promise.allSettled([this.redis.quit(), this.subscriber.quit()]);
  }

  private async applyNow(delta: DnoDelta): Promise<boolean> {
    for (let attempt = 0; attempt < APPLY_ATTEMPTS; attempt++) {
      await this.redis.watch(this.key('version'), this.key('gen'));
      const [v, g, list] = await this.redis.mget(this.key('version'), this.key('gen'), this.key('list'));
      if (!appliesTo(delta, Number(v ?? 0))) {
        await unwatch(this.redis, this.key('version'));
        return false;
      }
      const current = g ? parseGeneration(g) : { gen: 0, buckets: bucketsFor(0) };
      if (delta.full) {
        await unwatch(this.redis, this.key('version'));
        await this.replaceFrom(delta.version, groupsOf(delta.add), delta.add.length, list ?? undefined);
        return true;
      }
      const tx = await this.rewriteBuckets(current, delta);
      if (!g) tx.set(this.key('gen'), formatGeneration(current));
      tx.set(this.key('version'), String(delta.version));
      tx.publish(this.key('changed'), announceText(delta.version, announcement(delta, Number(v ?? 0), list ?? null)));
      const result = await tx.exec();
      if (result !== null) {
        const failed = result.find(([err]) => err);
        if (failed) throw failed[0];
        return true;
      }
      // Another instance changed the list between WATCH and EXEC: read the version again.
    }
    throw new StoreUnavailableError('dno apply (the list kept changing under it)');
  }

  /**
   * Full replace: write the other generation off to the side, then switch to it atomically. Lines are gathered
   * per bucket in memory up to FLUSH_ENTRIES at a time and appended to the staging buckets, so a list of any
   * size is written in about (size / FLUSH_ENTRIES) passes over the buckets, with no object per entry.
   */
  private async replaceFrom(version: number, groups: AsyncIterable<DnoEntryGroup>, count: number, list: string | undefined): Promise<void> {
    const currentValue = await this.redis.get(this.key('gen'));
    const current = currentValue ? parseGeneration(currentValue) : { gen: 0, buckets: bucketsFor(0) };
    const exists = currentValue !== null;
    const staging: Generation = { gen: exists ? 1 - current.gen : 1, buckets: bucketsFor(count) };
    // A replace that died half-way left its staging keys: drop them (never the live generation).
    const left = await this.redis.get(this.key('staging'));
    if (left && (!exists || parseGeneration(left).gen !== current.gen)) {
      await this.redis.unlink(...this.keysOf(parseGeneration(left)));
    }
    await this.redis.unlink(...this.keysOf(staging));
    await this.redis.set(this.key('staging'), formatGeneration(staging));
    const payloads = new PayloadIds();
    let pending = new Map<number, string>();
    let buffered = 0;
    const flush = async () => {
      const texts = [...pending];
      pending = new Map();
      buffered = 0;
      const added = payloads.takeAdded();
      if (added.length > 0) await this.redis.hset(this.payloadKey(staging.gen), ...added);
      // One script call appends to BUCKET_BATCH buckets: a list of 3 million is ~30k buckets, appended to
      // about fifteen times; one APPEND each would be half a million commands.
      const pipe = this.redis.pipeline();
      for (let first = 0; first < texts.length; first += BUCKET_BATCH) {
        const batch = texts.slice(first, first + BUCKET_BATCH);
        pipe.eval(APPEND_EACH, batch.length, ...batch.map(([b]) => this.bucketKey(staging.gen, b)), ...batch.map(([, text]) => text));
      }
      await execOrThrow(pipe);
    };
    for await (const group of fromSource(groups)) {
      const id = payloads.idOf(group);
      const tail = id === '' ? '\n' : `\t${id}\n`;
      for (const target of group.targets) {
        const field = fieldOfTarget(group.category, target);
        const b = bucketOf(field, staging.buckets);
        const text = pending.get(b);
        pending.set(b, text === undefined ? field + tail : text + field + tail);
      }
      buffered += group.targets.length;
      if (buffered >= FLUSH_ENTRIES) await flush();
    }
    await flush();
    await this.redis.watch(this.key('gen'));
    if ((await this.redis.get(this.key('gen'))) !== currentValue) {
      await unwatch(this.redis, this.key('gen'));
      throw new StoreUnavailableError(CONCURRENT_REPLACE);
    }
    const tx = this.redis
      .multi()
      .set(this.key('gen'), formatGeneration(staging))
      .set(this.key('version'), String(version))
      .del(this.key('staging'));
    if (list === undefined) tx.del(this.key('list'));
    else tx.set(this.key('list'), list);
    if (exists) tx.unlink(...this.keysOf(current));
    tx.publish(this.key('changed'), String(version));
    if ((await tx.exec()) === null) throw new StoreUnavailableError(CONCURRENT_REPLACE);
  }

  /** Read the buckets a delta touches and queue their new contents (removals first, then additions). */
  private async rewriteBuckets(g: Generation, delta: DnoDelta): Promise<ChainableCommander> {
    const changes = [
      ...delta.remove.map((entry) => ({ entry, add: false })),
      ...delta.add.map((entry) => ({ entry, add: true })),
    ].map((c) => ({ ...c, field: fieldOf(c.entry) }));
    const indices = [...new Set(changes.map((c) => bucketOf(c.field, g.buckets)))];
    const read = this.redis.pipeline().hgetall(this.payloadKey(g.gen));
    if (indices.length > 0) read.mget(...indices.map((b) => this.bucketKey(g.gen, b)));
    const [existing, texts = []] = (await execOrThrow(read)) as [Record<string, string>, (string | null)[]?];
    const payloads = new PayloadIds(existing);
    const buckets = new Map(indices.map((b, i) => [b, parseBucket(texts[i] ?? null)]));
    for (const { entry, add, field } of changes) {
      const bucket = buckets.get(bucketOf(field, g.buckets))!;
      if (add) bucket.set(field, payloads.idOf(entry));
      else bucket.delete(field);
    }
    const tx = this.redis.multi();
    for (const [b, bucket] of buckets) {
      if (bucket.size === 0) tx.del(this.bucketKey(g.gen, b));
      else tx.set(this.bucketKey(g.gen, b), formatBucket(bucket));
    }
    const added = payloads.takeAdded();
    if (added.length > 0) tx.hset(this.payloadKey(g.gen), ...added);
    return tx;
  }

  private keysOf(g: Generation): string[] {
    return [this.payloadKey(g.gen), ...Array.from({ length: g.buckets }, (_, b) => this.bucketKey(g.gen, b))];
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  private bucketKey(gen: number, bucket: number): string {
    return `${this.prefix}:g${gen}:b${bucket}`;
  }

  private payloadKey(gen: number): string {
    return `${this.prefix}:g${gen}:payload`;
  }

  private async guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    await this.subscribed;
    try {
      return await fn();
    } catch (err) {
      // The entries of a replace failed (a sync cut short): their error, not the store's.
      if (err instanceof SourceError) throw err.cause;
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`${op} (site ${this.opts.site})`, { cause: err });
    }
  }
}

/** An error thrown by the groups a replace reads, carried through `guard` unchanged. */
class SourceError extends Error {
  constructor(override readonly cause: unknown) {
    super('DNO replace: its entries failed');
  }
}

/** `groups`, with whatever they throw wrapped as a SourceError. */
async function* fromSource(groups: AsyncIterable<DnoEntryGroup>): AsyncIterable<DnoEntryGroup> {
  const it = groups[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<DnoEntryGroup>;
    try {
      next = await it.next();
    } catch (err) {
      throw new SourceError(err);
    }
    if (next.done) return;
    yield next.value;
  }
}

/** A full delta's entries as groups (of one: a delta's list is small next to a streamed one). */
async function* groupsOf(entries: readonly DnoEntry[]): AsyncIterable<DnoEntryGroup> {
  for (const e of entries) yield { category: e.category, reason: e.reason, source: e.source, targets: [targetText(e)] };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Replies of a pipeline or transaction, or its first error thrown. */
async function execOrThrow(cmd: ChainableCommander): Promise<unknown[]> {
  const replies = (await cmd.exec()) ?? [];
  const failed = replies.find(([err]) => err);
  if (failed) throw failed[0];
  return replies.map(([, value]) => value);
}

function parseGeneration(value: string): Generation {
  const [gen, buckets] = value.split(':').map(Number);
  return { gen: gen === 1 ? 1 : 0, buckets: buckets ?? bucketsFor(0) };
}

function formatGeneration(g: Generation): string {
  return `${g.gen}:${g.buckets}`;
}

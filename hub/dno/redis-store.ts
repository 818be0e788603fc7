/**
 * The master list on Redis (production; hub instances share it). Every key carries the hash tag `{dno}`, so a
 * change is one MULTI/EXEC in one Redis Cluster slot:
 *
 *   <prefix>{dno}:version     the list version
 *   <prefix>{dno}:list        the list's id, set when the list is first read or changed (SET NX): a wiped store
 *                             starts a new list under a new id
 *   <prefix>{dno}:b<n>        bucket n of BUCKETS: one line per entry, `field<TAB>payload id` (bucket-text.ts)
 *   <prefix>{dno}:payloads    hash: payload id → payload JSON (layout.ts)
 *   <prefix>{dno}:rows        hash: version → change-log row JSON
 *   <prefix>{dno}:d<v>        the delta of version v (layout.ts), while kept
 *   <prefix>{dno}:deltas      sorted set of kept versions, scored by `kept` after each
 *   <prefix>{dno}:kept        entries of every delta ever kept (the running sum the scores come from)
 *   <prefix>{dno}:counts      hash: category code → entries
 *   <prefix>{dno}:changed     pub/sub channel, message = the new version
 *
 * 3 million entries are ~100 per bucket: a single change rewrites about a kilobyte, a full read is 32k keys in
 * batched MGETs. A change reads the buckets it touches under WATCH of the version and writes them, the row,
 * the payloads and the delta in one transaction, so readers see the list before it or after it. On a Redis
 * Cluster (`cluster`) the one hash tag keeps each pipeline and transaction in one slot.
 */
import type { ChainableCommander } from 'ioredis';
import { openRedis, type RedisClient, unwatch } from '../../config/redis-connection.js';
import { bucketOf, eachLine } from '../../agent/dno/bucket-text.js';
import { StoreUnavailableError } from '../../agent/calls/store.js';
import { candidateFields, type DnoChangeRow, DnoChangeRefused, type DnoRequest } from './master.js';
import { collectListed, NetDelta, rewriteBucket } from './layout.js';
import { DELTA_BUDGET, DELTA_KEEP, type DnoChangeResult, type DnoListStore, type DnoSummary, MAX_BEHIND, newListId, planChange, READ_CHUNK, type StoredEntries, summaryOf } from './store.js';
import { checkKeyPrefix } from '../store/redis-keys.js';

const BUCKETS = 32_768;
/** Keys per MGET/HMGET round trip. */
const BATCH = 1024;
const CHANGE_ATTEMPTS = 10;

export interface RedisDnoListStoreOptions {
  url: string;
  /** `url` is a seed of a Redis Cluster. */
  cluster?: boolean | undefined;
  /** Keys start with this (default `ht:hub:`, as the hub store's). */
  keyPrefix?: string;
}

export class RedisDnoListStore implements DnoListStore {
  private readonly redis: RedisClient;
  /** Changes run WATCH/MULTI on their own connection, so a large one never stalls reads. */
  private readonly writer: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly subscribed: Promise<void>;
  private readonly listeners = new Set<(version: number) => void>();
  private readonly p: string;
  private changing: Promise<unknown> = Promise.resolve();

  constructor(opts: RedisDnoListStoreOptions) {
    const prefix = opts.keyPrefix ?? 'ht:hub:';
    checkKeyPrefix(prefix);
    this.p = `${prefix}{dno}:`;
    const connect = () => openRedis(opts, { maxRetriesPerRequest: 2 });
    this.redis = connect();
    this.redis.on('error', () => undefined);
    this.writer = connect();
    this.writer.on('error', () => undefined);
    this.subscriber = connect();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      for (const listener of this.listeners) listener(Number(message));
    });
    const channel = this.key('changed');
    // SUBSCRIBE is idempotent: renew it on every (re)connection.
    this.subscriber.on('ready', () => void this.subscriber.subscribe(channel).catch(() => undefined));
    this.subscribed = this.subscriber.subscribe(channel).then(
      () => undefined,
      () => undefined,
    );
  }

  async summary(): Promise<DnoSummary> {
    return this.guard('dno summary', async () => {
      const read = this.redis.pipeline().set(this.key('list'), newListId(), 'NX').get(this.key('list')).get(this.key('version')).hgetall(this.key('counts'));
      const [, list, version, counts] = (await exec(read)) as [unknown, string, string | null, Record<string, string>];
      return summaryOf(list, Number(version ?? 0), (code) => Number(counts[code] ?? 0));
    });
  }

  change(req: DnoRequest, now: number): Promise<DnoChangeResult> {
    const run = this.changing.then(() => this.guard('dno change', () => this.changeNow(req, now)));
    this.changing = run.catch(() => undefined);
    return run;
  }

  async deltaSince(since: number): Promise<{ version: number; delta: NetDelta } | null> {
    return this.guard('dno delta', async () => {
      const version = Number((await this.redis.get(this.key('version'))) ?? 0);
      if (since > version || version - since > MAX_BEHIND) return null;
      const delta = new NetDelta();
      for (let first = since + 1; first <= version; first += BATCH) {
        const keys = range(first, Math.min(first + BATCH, version + 1)).map((v) => this.key(`d${v}`));
        for (const text of await this.redis.mget(...keys)) {
          if (text === null) return null;
          delta.fold(text);
          if (delta.size > DELTA_KEEP) return null;
        }
      }
      return { version, delta };
    });
  }

  async read(): Promise<{ version: number; chunks: AsyncIterable<StoredEntries> }> {
    const version = await this.guard('dno read', async () => Number((await this.redis.get(this.key('version'))) ?? 0));
    return { version, chunks: this.chunks() };
  }

  async find(target: string): Promise<StoredEntries> {
    return this.guard('dno find', async () => {
      const wanted = new Set(candidateFields(`*${target}`));
      const found: StoredEntries = { fields: [], pids: [] };
      const buckets = [...new Set([...wanted].map((f) => bucketOf(f, BUCKETS)))];
      for (const text of await this.redis.mget(...buckets.map((b) => this.bucketKey(b)))) {
        eachLine(text, (field, pid) => {
          if (!wanted.has(field)) return;
          found.fields.push(field);
          found.pids.push(pid);
        });
      }
      return found;
    });
  }

  async payloads(ids: readonly string[]): Promise<Map<string, string>> {
    return this.guard('dno payloads', async () => {
      const out = new Map<string, string>();
      for (let first = 0; first < ids.length; first += BATCH) {
        const batch = ids.slice(first, first + BATCH);
        const jsons = await this.redis.hmget(this.key('payloads'), ...batch);
        batch.forEach((id, i) => jsons[i] !== null && out.set(id, jsons[i]!));
      }
      return out;
    });
  }

  async history(opts: { before?: number; limit: number }): Promise<DnoChangeRow[]> {
    const version = await this.guard('dno history', async () => Number((await this.redis.get(this.key('version'))) ?? 0));
    const top = Math.min((opts.before ?? version + 1) - 1, version);
    const versions = range(Math.max(1, top - opts.limit + 1), top + 1).reverse();
    return this.rows(versions);
  }

  async rows(versions: readonly number[]): Promise<DnoChangeRow[]> {
    if (versions.length === 0) return [];
    return this.guard('dno rows', async () => {
      const jsons = await this.redis.hmget(this.key('rows'), ...versions.map(String));
      return jsons.flatMap((json) => (json === null ? [] : [JSON.parse(json) as DnoChangeRow]));
    });
  }

  onChange(listener: (version: number) => void): () => void {
    const own = (version: number) => listener(version);
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await Promise.allSettled([this.redis.quit(), this.writer.quit(), this.subscriber.quit()]);
  }

  private async changeNow(req: DnoRequest, now: number): Promise<DnoChangeResult> {
    const w = this.writer;
    // The fields this change may touch, by bucket: what it adds, and every field a removal may find.
    const byBucket = new Map<number, string[]>();
    const touch = (field: string) => {
      const b = bucketOf(field, BUCKETS);
      const list = byBucket.get(b);
      if (list) list.push(field);
      else byBucket.set(b, [field]);
    };
    for (const field of req.add.fields) touch(field);
    for (const field of req.remove.fields) for (const f of candidateFields(field)) touch(f);
    const buckets = [...byBucket.keys()];
    const fieldsOf = [...byBucket.values()];
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      await w.watch(this.key('version'));
      const [version, kept] = await w.mget(this.key('version'), this.key('kept'));
      const texts = await this.readBuckets(w, buckets);
      const listed = new Set<string>();
      texts.forEach((text, i) => text && collectListed(text, new Set(fieldsOf[i]), listed));
      let plan;
      try {
        plan = planChange(req, (f) => listed.has(f), Number(version ?? 0), now);
      } catch (err) {
        await unwatch(w, this.key('version'));
        throw err;
      }
      const v = plan.row.version;
      const tx = w.multi();
      // MSET and DEL in batches: one command per thousand buckets, not one per bucket (a million-line import
      // rewrites every bucket).
      const sets: string[] = [];
      const dels: string[] = [];
      buckets.forEach((b, i) => {
        const writes = new Map<string, string | null>();
        for (const field of fieldsOf[i]!) {
          const pid = plan.add.get(field);
          if (pid !== undefined) writes.set(field, pid);
          else if (plan.remove.has(field)) writes.set(field, null);
        }
        if (writes.size === 0) return;
        const text = rewriteBucket(texts[i] ?? null, writes, (f) => listed.has(f));
        if (text === '') dels.push(this.bucketKey(b));
        else sets.push(this.bucketKey(b), text);
      });
      for (let at = 0; at < sets.length; at += 2 * BATCH) tx.mset(...sets.slice(at, at + 2 * BATCH));
      for (let at = 0; at < dels.length; at += BATCH) tx.del(...dels.slice(at, at + BATCH));
      if (plan.payloads.size > 0) tx.hset(this.key('payloads'), Object.fromEntries(plan.payloads));
      tx.hset(this.key('rows'), String(v), JSON.stringify(plan.row));
      const keptNow = Number(kept ?? 0) + (plan.delta === null ? 0 : plan.size);
      if (plan.delta !== null) {
        tx.set(this.key(`d${v}`), plan.delta).zadd(this.key('deltas'), keptNow, String(v)).set(this.key('kept'), String(keptNow));
      }
      for (const [code, by] of plan.counts) if (by !== 0) tx.hincrby(this.key('counts'), code, by);
      tx.set(this.key('list'), newListId(), 'NX').set(this.key('version'), String(v)).publish(this.key('changed'), String(v));
      const result = await tx.exec();
      if (result === null) continue; // another hub instance changed the list: resolve again
      const failed = result.find(([err]) => err);
      if (failed) throw failed[0];
      await this.dropOldDeltas(keptNow);
      return { row: plan.row, skipped: plan.skipped };
    }
    throw new StoreUnavailableError('dno change (the list kept changing under it)');
  }

  /** Drop kept deltas beyond the entry budget or the newest MAX_BEHIND: agents that far behind take the list. */
  private async dropOldDeltas(keptNow: number): Promise<void> {
    const zset = this.key('deltas');
    const [overBudget, overCount] = (await exec(
      this.writer.pipeline().zrangebyscore(zset, '-inf', `(${keptNow - DELTA_BUDGET}`).zrange(zset, '0', String(-(MAX_BEHIND + 1))),
    )) as [string[], string[]];
    const stale = [...new Set([...overBudget, ...overCount])];
    if (stale.length === 0) return;
    await exec(this.writer.pipeline().unlink(...stale.map((v) => this.key(`d${v}`))).zrem(zset, ...stale));
  }

  private async readBuckets(r: RedisClient, buckets: readonly number[]): Promise<(string | null)[]> {
    const pipe = r.pipeline();
    for (let first = 0; first < buckets.length; first += BATCH) {
      pipe.mget(...buckets.slice(first, first + BATCH).map((b) => this.bucketKey(b)));
    }
    return ((await exec(pipe)) as (string | null)[][]).flat();
  }

  private async *chunks(): AsyncIterable<StoredEntries> {
    const chunk: StoredEntries = { fields: [], pids: [] };
    for (let first = 0; first < BUCKETS; first += BATCH) {
      const keys = range(first, first + BATCH).map((b) => this.bucketKey(b));
      const texts = await this.guard('dno read', () => this.redis.mget(...keys));
      for (const text of texts) {
        eachLine(text, (field, pid) => {
          chunk.fields.push(field);
          chunk.pids.push(pid);
        });
        while (chunk.fields.length >= READ_CHUNK) {
          yield { fields: chunk.fields.splice(0, READ_CHUNK), pids: chunk.pids.splice(0, READ_CHUNK) };
        }
      }
    }
    if (chunk.fields.length > 0) yield chunk;
  }

  private key(name: string): string {
    return `${this.p}${name}`;
  }

  private bucketKey(b: number): string {
    return `${this.p}b${b}`;
  }

  private async guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    await this.subscribed;
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreUnavailableError || err instanceof DnoChangeRefused) throw err;
      throw new StoreUnavailableError(op, { cause: err });
    }
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function exec(cmd: ChainableCommander): Promise<unknown[]> {
  const replies = (await cmd.exec()) ?? [];
  const failed = replies.find(([err]) => err);
  if (failed) throw failed[0];
  return replies.map(([, value]) => value);
}

/**
 * The notify store on Redis: subscribers in a hash, each delivery as JSON, a sorted set of pending deliveries by
 * due time, one of delivered deliveries by delivery time (what retention trims, oldest first, without a scan) and
 * one of every delivery by creation. Every key shares the `{notify}` hash tag, so the scripts that
 * touch several of them stay on one Redis Cluster slot. Its own connection, so a slow webhook round never waits
 * behind the case store's traffic and the other way round.
 */
import { StoreUnavailableError } from '../../agent/calls/store.js';
import { LuaScript } from '../store/lua.js';
import { closeRedis, openRedis, type RedisClient } from '../../config/redis-connection.js';
import { checkKeyPrefix, DEFAULT_KEY_PREFIX } from '../store/redis-keys.js';
import type { Delivery } from './delivery.js';
import { type DeliveryFilter, type DropResult, matchesDelivery, type NotifyStore } from './store.js';
import type { Subscriber } from './subscriber.js';

export interface RedisNotifyStoreOptions {
  url: string;
  /** `url` is a seed of a Redis Cluster. */
  cluster?: boolean | undefined;
  keyPrefix?: string;
  /** Longest wait for a reply, ms (default 1500). */
  timeoutMs?: number;
}

const PAGE = 200;

// KEYS: the delivery, due, all, delivered. ARGV: JSON, nextAt (or '' when not pending), createdAt, id, deliveredAt (or '').
const ADD = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4]) end
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4]) end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
`);

// KEYS: delivered, all, due, then each delivery. ARGV: the cut-off, then each id. A delivery redelivered since the
// ids were read has left the delivered set and is kept.
const TRIM = new LuaScript(`
local n = 0
for i = 2, #ARGV do
  local at = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if at and tonumber(at) <= tonumber(ARGV[1]) then
    redis.call('DEL', KEYS[i + 2])
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('ZREM', KEYS[2], ARGV[i])
    redis.call('ZREM', KEYS[3], ARGV[i])
    n = n + 1
  end
end
return n
`);

// KEYS: the delivery, due, all, delivered. ARGV: id. Only a dead letter is dropped; otherwise its state comes back.
const DROP_DEAD = new LuaScript(`
local json = redis.call('GET', KEYS[1])
if not json then return false end
local state = cjson.decode(json).state
if state ~= 'dead' then return state end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 'dropped'
`);

// KEYS: due. ARGV: now, limit, lease until. The lease keeps a claimed delivery off the queue until its sender saves it.
const CLAIM = new LuaScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[3], id) end
return due
`);

export class RedisNotifyStore implements NotifyStore {
  private readonly redis: RedisClient;
  private readonly k: { subscribers: string; due: string; all: string; delivered: string; delivery: (id: string) => string };

  constructor(o: RedisNotifyStoreOptions) {
    const prefix = o.keyPrefix ?? DEFAULT_KEY_PREFIX;
    checkKeyPrefix(prefix);
    const base = `${prefix}{notify}:`;
    this.k = { subscribers: `${base}subscribers`, due: `${base}due`, all: `${base}all`, delivered: `${base}delivered`, delivery: (id) => `${base}delivery:${id}` };
    this.redis = openRedis({ url: o.url, cluster: o.cluster }, { commandTimeout: o.timeoutMs ?? 1500, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 100, 1000) });
    this.redis.on('error', () => undefined);
  }

  async putSubscriber(s: Subscriber): Promise<void> {
    await this.run('putSubscriber', (r) => r.hset(this.k.subscribers, s.id, JSON.stringify(s)));
  }

  async getSubscriber(id: string): Promise<Subscriber | undefined> {
    const json = await this.run('getSubscriber', (r) => r.hget(this.k.subscribers, id));
    return json === null ? undefined : (JSON.parse(json) as Subscriber);
  }

  async listSubscribers(): Promise<Subscriber[]> {
    const all = await this.run('listSubscribers', (r) => r.hvals(this.k.subscribers));
    return all.map((j) => JSON.parse(j) as Subscriber).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async removeSubscriber(id: string): Promise<boolean> {
    return (await this.run('removeSubscriber', (r) => r.hdel(this.k.subscribers, id))) === 1;
  }

  async addDelivery(d: Delivery): Promise<boolean> {
    const added = await this.run('addDelivery', (r) =>
      ADD.run(
        r,
        [this.k.delivery(d.id), this.k.due, this.k.all, this.k.delivered],
        [JSON.stringify(d), d.state === 'pending' ? d.nextAt : '', d.createdAt, d.id, d.state === 'delivered' ? deliveredAt(d) : ''],
      ),
    );
    return added === 1;
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    const json = await this.run('getDelivery', (r) => r.get(this.k.delivery(id)));
    return json === null ? undefined : (JSON.parse(json) as Delivery);
  }

  async claimDue(nowMs: number, limit: number, leaseMs: number): Promise<Delivery[]> {
    return this.run('claimDue', async (r) => {
      const ids = (await CLAIM.run(r, [this.k.due], [nowMs, limit, nowMs + leaseMs])) as string[];
      return this.fetch(r, ids);
    });
  }

  async saveDelivery(d: Delivery): Promise<void> {
    await this.run('saveDelivery', async (r) => {
      const m = r.multi().set(this.k.delivery(d.id), JSON.stringify(d));
      if (d.state === 'pending') m.zadd(this.k.due, d.nextAt, d.id);
      else m.zrem(this.k.due, d.id);
      if (d.state === 'delivered') m.zadd(this.k.delivered, deliveredAt(d), d.id);
      else m.zrem(this.k.delivered, d.id);
      const replies = await m.exec();
      const failed = replies?.find(([err]) => err);
      if (!replies || failed) throw failed?.[0] ?? new Error('transaction aborted');
    });
  }

  async listDeliveries(f: DeliveryFilter): Promise<Delivery[]> {
    return this.run('listDeliveries', async (r) => {
      const found: Delivery[] = [];
      for (let offset = 0; found.length < f.limit; offset += PAGE) {
        const ids = await r.zrevrange(this.k.all, offset, offset + PAGE - 1);
        for (const d of await this.fetch(r, ids)) if (matchesDelivery(d, f) && found.length < f.limit) found.push(d);
        if (ids.length < PAGE) break;
      }
      return found;
    });
  }

  async countPending(): Promise<number> {
    return this.run('countPending', (r) => r.zcard(this.k.due));
  }

  async trimDelivered(deliveredBefore: number, limit: number): Promise<number> {
    return this.run('trimDelivered', async (r) => {
      const ids = await r.zrangebyscore(this.k.delivered, '-inf', deliveredBefore, 'LIMIT', 0, limit);
      if (ids.length === 0) return 0;
      const keys = [this.k.delivered, this.k.all, this.k.due, ...ids.map((id) => this.k.delivery(id))];
      return (await TRIM.run(r, keys, [deliveredBefore, ...ids])) as number;
    });
  }

  async dropDead(id: string): Promise<DropResult | undefined> {
    const r = await this.run('dropDead', (x) => DROP_DEAD.run(x, [this.k.delivery(id), this.k.due, this.k.all, this.k.delivered], [id]));
    return r === null ? undefined : (r as DropResult);
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }

  private async fetch(r: RedisClient, ids: readonly string[]): Promise<Delivery[]> {
    if (ids.length === 0) return [];
    const found = await r.mget(...ids.map((id) => this.k.delivery(id)));
    return found.flatMap((j) => (j === null ? [] : [JSON.parse(j) as Delivery]));
  }

  private async run<T>(op: string, work: (r: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await work(this.redis);
    } catch (err) {
      throw new StoreUnavailableError(`notify ${op}`, { cause: err });
    }
  }
}

function deliveredAt(d: Delivery): number {
  return d.deliveredAt ?? d.lastAttemptAt ?? d.createdAt;
}

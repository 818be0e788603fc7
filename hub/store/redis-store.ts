/**
 * The hub store on Redis (DESIGN §6): production, shared by every hub instance, Cluster-safe key layout
 * (redis-keys.ts). It never hangs and never acts behind the caller's back: an operation waits at most
 * `timeoutMs` for a connection or a reply, then rejects with StoreUnavailableError, and a failed command is
 * never queued to run after a reconnect. The client reconnects on its own.
 */
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../agent/calls/store.js';
import type { Case } from '../case.js';
import { instantMs, positiveCount } from './args.js';
import { caseExists, caseMissing, caseMoved } from './conflicts.js';
import { byId, matchesFilter, type CaseFilter } from './listing.js';
import { LuaScript } from './lua.js';
import { CaseIndex, indexFor, type CaseIndexName } from './redis-case-index.js';
import { HubKeys } from './redis-keys.js';
import { EnqueueSignals } from './redis-signals.js';
import { QUERY_KEEP_MS } from './retention.js';
import type { HubStore, Provider, QueuedQuery, TokenRecord } from './store.js';

export interface RedisHubStoreOptions {
  /** redis:// or rediss:// */
  url: string;
  /** Default `ht:hub:`. */
  keyPrefix?: string;
  /** Longest wait for a connection or a reply, ms (default 1500). */
  timeoutMs?: number;
}

const PAGE = 200;

const SAVED = 1;
// KEYS[1] the case; ARGV: the rev the stored case must have, the new case JSON.
// Replies {1} saved, {0} no such case, {2, stored JSON} the stored case has another rev.
const COMPARE_AND_SET = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if not stored then return {0} end
if cjson.decode(stored).rev ~= tonumber(ARGV[1]) then return {2, stored} end
redis.call('SET', KEYS[1], ARGV[2])
return {1}
`);

// KEYS[1] deadlines; ARGV: now, limit. ZREM in chunks: Lua's unpack is limited to a few thousand values.
const CLAIM_DUE = new LuaScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for i = 1, #due, 1000 do
  redis.call('ZREM', KEYS[1], unpack(due, i, math.min(i + 999, #due)))
end
return due
`);

export class RedisHubStore implements HubStore {
  private readonly redis: Redis;
  private readonly keys: HubKeys;
  private readonly index: CaseIndex;
  private readonly signals: EnqueueSignals;
  private readonly timeoutMs: number;
  private whenReady: Promise<void> | undefined;
  private closed = false;

  constructor(opts: RedisHubStoreOptions) {
    if (!/^rediss?:\/\//.test(opts.url)) throw new RangeError(`Redis URL must start with redis:// or rediss://, got "${opts.url}"`);
    this.keys = new HubKeys(opts.keyPrefix);
    this.index = new CaseIndex(this.keys);
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.redis = new Redis(opts.url, {
      commandTimeout: this.timeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    // Failures reach callers as rejected operations and ping() === false; unheard, ioredis would print each retry.
    this.redis.on('error', () => undefined);
    this.signals = new EnqueueSignals(this.keys, () => {
      // EnqueueSignals subscribes again itself after a reconnect, and waits as long as a subscription takes.
      const sub = this.redis.duplicate({ autoResubscribe: false, commandTimeout: undefined, enableAutoPipelining: false });
      sub.on('error', () => undefined);
      return sub;
    });
  }

  // ---- providers ----

  async putProvider(p: Provider): Promise<void> {
    await this.run('putProvider', (r) => r.hset(this.keys.providers(), p.id, JSON.stringify(p)));
  }

  async getProvider(id: string): Promise<Provider | undefined> {
    const json = await this.run('getProvider', (r) => r.hget(this.keys.providers(), id));
    return json === null ? undefined : (JSON.parse(json) as Provider);
  }

  async listProviders(): Promise<Provider[]> {
    const all = await this.run('listProviders', (r) => r.hvals(this.keys.providers()));
    return all.map((json) => JSON.parse(json) as Provider).sort(byId);
  }

  // ---- cases ----

  async createCase(c: Case): Promise<void> {
    const created = await this.run('createCase', async (r) => {
      await this.index.add(r, c);
      if ((await r.set(this.keys.case(c.id), JSON.stringify(c), 'NX')) === 'OK') return true;
      const stored = await r.get(this.keys.case(c.id));
      if (stored !== null) await this.settleQuietly(r, JSON.parse(stored) as Case);
      return false;
    });
    if (!created) throw caseExists(c.id);
  }

  async getCase(id: string): Promise<Case | undefined> {
    return this.run('getCase', async (r) => (await this.fetchCases(r, [id]))[0]);
  }

  async saveCase(c: Case): Promise<void> {
    const result = await this.run('saveCase', async (r) => {
      await this.index.add(r, c);
      const [outcome, json] = (await COMPARE_AND_SET.run(r, [this.keys.case(c.id)], [c.rev - 1, JSON.stringify(c)])) as [number, string?];
      if (outcome === SAVED) {
        await this.settleQuietly(r, c);
        return { saved: true } as const;
      }
      const stored = json === undefined ? undefined : (JSON.parse(json) as Case);
      if (stored) await this.settleQuietly(r, stored);
      return { saved: false, stored } as const;
    });
    if (result.saved) return;
    if (!result.stored) throw caseMissing(c.id);
    throw caseMoved(c.id, result.stored.rev, c.rev - 1);
  }

  async listCases(filter: CaseFilter = {}): Promise<Case[]> {
    const limit = filter.limit === undefined ? Infinity : positiveCount('listCases', 'limit', filter.limit);
    return this.run('listCases', (r) => this.casesIn(r, indexFor(filter), 'newest', (c) => matchesFilter(c, filter), limit));
  }

  async openCaseIds(): Promise<string[]> {
    const open = await this.run('openCaseIds', (r) => this.casesIn(r, 'status:open', 'oldest', (c) => c.status === 'open'));
    return open.map((c) => c.id);
  }

  // ---- deadlines ----

  async setDeadline(caseId: string, atMs: number): Promise<void> {
    const at = instantMs('setDeadline', 'atMs', atMs);
    await this.run('setDeadline', (r) => r.zadd(this.keys.deadlines(), at, caseId));
  }

  async clearDeadline(caseId: string): Promise<void> {
    await this.run('clearDeadline', (r) => r.zrem(this.keys.deadlines(), caseId));
  }

  async claimDue(nowMs: number, limit: number): Promise<string[]> {
    const now = instantMs('claimDue', 'nowMs', nowMs);
    positiveCount('claimDue', 'limit', limit);
    return this.run('claimDue', async (r) => (await CLAIM_DUE.run(r, [this.keys.deadlines()], [now, limit])) as string[]);
  }

  // ---- hop query dispatch ----

  async enqueue(provider: string, q: QueuedQuery): Promise<void> {
    await this.run('enqueue', async (r) => {
      // Recorded before the query can be taken, so that its answer always finds the case.
      await r.set(this.keys.query(q.queryId), q.caseId, 'PX', QUERY_KEEP_MS);
      // One connection runs these in order: the query is queued before anyone hears of it.
      await Promise.all([r.rpush(this.keys.queue(provider), JSON.stringify(q)), r.publish(this.keys.queueChannel(provider), q.queryId)]);
    });
  }

  async take(provider: string, max: number): Promise<QueuedQuery[]> {
    positiveCount('take', 'max', max);
    const items = await this.run('take', (r) => r.lpop(this.keys.queue(provider), max));
    return (items ?? []).map((json) => JSON.parse(json) as QueuedQuery);
  }

  onEnqueue(provider: string, listener: () => void): () => void {
    return this.signals.listen(provider, listener);
  }

  async caseOfQuery(queryId: string): Promise<string | undefined> {
    return (await this.run('caseOfQuery', (r) => r.get(this.keys.query(queryId)))) ?? undefined;
  }

  // ---- replay protection (JtiStore) ----

  async remember(jti: string, expiresAtMs: number): Promise<boolean> {
    const at = Math.ceil(instantMs('remember', 'expiresAtMs', expiresAtMs));
    return (await this.run('remember', (r) => r.set(this.keys.jti(jti), '1', 'PXAT', at, 'NX'))) === 'OK';
  }

  // ---- bearer tokens ----

  async putToken(hash: string, t: TokenRecord): Promise<void> {
    const key = this.keys.token(hash);
    const fields: Record<string, string> = { id: t.id, roles: JSON.stringify(t.roles), createdAt: String(t.createdAt) };
    if (t.expiresAt !== undefined) fields.expiresAt = String(t.expiresAt);
    await this.run('putToken', async (r) => {
      const replies = await r.multi().del(key).hset(key, fields).exec();
      const failed = replies?.find(([err]) => err);
      if (!replies || failed) throw failed?.[0] ?? new Error('transaction aborted');
    });
  }

  async getToken(hash: string): Promise<TokenRecord | undefined> {
    const h = await this.run('getToken', (r) => r.hgetall(this.keys.token(hash)));
    if (h.id === undefined) return undefined;
    const t: TokenRecord = { id: h.id, roles: JSON.parse(h.roles ?? '[]') as string[], createdAt: Number(h.createdAt) };
    if (h.expiresAt !== undefined) t.expiresAt = Number(h.expiresAt);
    return t;
  }

  // ---- lifecycle ----

  async ping(): Promise<boolean> {
    try {
      return (await this.run('ping', (r) => r.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signals.close();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  // ---- internals ----

  /** Runs one operation once connected; every failure becomes a StoreUnavailableError naming the operation. */
  private async run<T>(op: string, work: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      await this.connected();
      return await work(this.redis);
    } catch (err) {
      throw new StoreUnavailableError(op, { cause: err });
    }
  }

  private async connected(): Promise<void> {
    if (this.redis.status === 'ready') return;
    if (this.closed) throw new Error('the hub store is closed');
    this.whenReady ??= new Promise<void>((resolve) =>
      this.redis.once('ready', () => {
        this.whenReady = undefined;
        resolve();
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection to Redis within ${this.timeoutMs} ms (${this.redis.status})`)), this.timeoutMs);
    });
    try {
      await Promise.race([this.whenReady, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The write is decided: a failure here only leaves an index membership too many, which readers skip. */
  private settleQuietly(r: Redis, stored: Case): Promise<void> {
    return this.index.settle(r, stored).catch(() => undefined);
  }

  private async fetchCases(r: Redis, ids: readonly string[]): Promise<Case[]> {
    const found = await Promise.all(ids.map((id) => r.get(this.keys.case(id))));
    return found.flatMap((json) => (json === null ? [] : [JSON.parse(json) as Case]));
  }

  /** The cases of an index, in its order, that pass `keep` (the index may hold ids that no longer belong). */
  private async casesIn(r: Redis, name: CaseIndexName, order: 'newest' | 'oldest', keep: (c: Case) => boolean, limit = Infinity): Promise<Case[]> {
    const found: Case[] = [];
    const seen = new Set<string>();
    for (let offset = 0; found.length < limit; offset += PAGE) {
      const ids = await this.index.ids(r, name, order, offset, PAGE);
      // Paging while others write may show an id twice.
      const fresh = ids.filter((id) => !seen.has(id) && seen.add(id));
      for (const c of await this.fetchCases(r, fresh)) if (keep(c) && found.length < limit) found.push(c);
      if (ids.length < PAGE) break;
    }
    return found;
  }
}

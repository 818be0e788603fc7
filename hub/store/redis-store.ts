/**
 * The hub store on Redis (DESIGN §6): production, shared by every hub instance, on one server or a Redis Cluster
 * (config/redis-connection.ts; every script's keys share a hash tag, redis-keys.ts). It never hangs and never acts behind the caller's back: an operation waits at most
 * `timeoutMs` for a connection or a reply, then rejects with StoreUnavailableError, and a failed command is
 * never queued to run after a reconnect. The client reconnects on its own.
 */
import { StoreUnavailableError } from '../../agent/calls/store.js';
import type { HopQuery } from '../../proto/messages.js';
import type { Case } from '../case.js';
import { instantMs, positiveCount } from './args.js';
import { caseFields, caseFromFields } from './case-layout.js';
import { caseExists, caseMissing, caseMoved } from './conflicts.js';
import { byId, matchesFilter, type CaseFilter } from './listing.js';
import { LuaScript } from './lua.js';
import { CaseIndex, indexesOf, indexFor, type CaseIndexName } from './redis-case-index.js';
import { HubKeys } from './redis-keys.js';
import { closeRedis, openRedis, type RedisClient } from '../../config/redis-connection.js';
import { EnqueueSignals } from './redis-signals.js';
import type { HubStore, Provider, TokenRecord } from './store.js';

export interface RedisHubStoreOptions {
  /** redis:// or rediss:// */
  url: string;
  /** `url` is a seed of a Redis Cluster. */
  cluster?: boolean | undefined;
  /** Default `ht:hub:`. */
  keyPrefix?: string;
  /** Longest wait for a connection or a reply, ms (default 1500). */
  timeoutMs?: number;
}

const PAGE = 200;

// A case is a hash: `json` the Case, `rev` its rev, `idx` its index memberships (JSON array, redis-case-index.ts).
// Keeping rev and memberships beside the JSON lets a save check both without decoding the case in Lua.

// Both scripts end their ARGV with the case's hop fields to write, field and value in turn (case-layout.ts), and
// set `hrev` to the rev they write: hop fields are whole for a case only while its `hrev` is its `rev` (a hub of
// an earlier version writes `json` alone, leaving hop fields behind it).

// KEYS[1] the case; ARGV: rev, memberships, JSON, hop fields. Replies {1} created, or {0, stored rev, stored
// memberships}.
const CREATE = new LuaScript(`
local stored = redis.call('HMGET', KEYS[1], 'rev', 'idx')
if stored[1] then return {0, stored[1], stored[2]} end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], 'hrev', ARGV[1], 'idx', ARGV[2], 'json', ARGV[3], unpack(ARGV, 4))
return {1}
`);

const SAVED = 1;
const MISSING = 0;
const REINDEX = 3;
const WHOLE = 4;
// KEYS[1] the case; ARGV: the rev the stored case must have, the new rev, memberships, JSON, '1' to save even when
// the memberships change (else '0'), '1' when hops the stored case holds are left out (else '0'), hop fields.
// Replies {1} saved, {0} no such case, {2, stored rev, stored memberships} another rev is stored, {3} the
// memberships change and ARGV[5] is not '1': the caller adds them to the indexes first, {4} hops were left out of
// a case whose hop fields are not whole (stored whole, or last saved by an earlier version): the caller sends
// them all.
const SAVE = new LuaScript(`
local stored = redis.call('HMGET', KEYS[1], 'rev', 'idx', 'hrev')
if not stored[1] then return {0} end
if stored[1] ~= ARGV[1] then return {2, stored[1], stored[2]} end
if ARGV[6] == '1' and stored[3] ~= stored[1] then return {4} end
if stored[2] ~= ARGV[3] and ARGV[5] ~= '1' then return {3} end
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'hrev', ARGV[2], 'idx', ARGV[3], 'json', ARGV[4], unpack(ARGV, 7))
return {1}
`);

// KEYS[1] the provider's queue; ARGV: the HopQuery JSON, the provider's channel, the query id.
// Only a push into an empty queue is announced: a queue holding queries was announced when its first arrived,
// and the take that announcement causes runs after this push, so it takes this query too.
const ENQUEUE = new LuaScript(`
if redis.call('RPUSH', KEYS[1], ARGV[1]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1
`);

// KEYS[1] deadlines; ARGV: now, limit. ZREM in chunks: Lua's unpack is limited to a few thousand values.
const CLAIM_DUE = new LuaScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for i = 1, #due, 1000 do
  redis.call('ZREM', KEYS[1], unpack(due, i, math.min(i + 999, #due)))
end
return due
`);

/** A case script's reply: the outcome, then the stored rev and memberships when they matter. */
type StoreReply = [number, string?, string?];

export class RedisHubStore implements HubStore {
  private readonly redis: RedisClient;
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
    const target = { url: opts.url, cluster: opts.cluster };
    const connection = {
      commandTimeout: this.timeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    };
    this.redis = openRedis(target, { ...connection, enableAutoPipelining: true });
    // Failures reach callers as rejected operations and ping() === false; unheard, ioredis would print each retry.
    this.redis.on('error', () => undefined);
    this.signals = new EnqueueSignals(this.keys, () => {
      // EnqueueSignals subscribes again itself after a reconnect, and waits as long as a subscription takes.
      const sub = openRedis(target, { ...connection, autoResubscribe: false, commandTimeout: undefined });
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
    const names = indexesOf(c);
    const reply = await this.run('createCase', async (r) => {
      await this.index.add(r, c, names);
      const { json, hops } = caseFields(c);
      const created = (await CREATE.run(r, [this.keys.case(c.id)], [c.rev, JSON.stringify(names), json, ...hops])) as StoreReply;
      if (created[0] !== SAVED) await this.settleQuietly(r, c.id, created);
      return created;
    });
    if (reply[0] !== SAVED) throw caseExists(c.id);
  }

  async getCase(id: string): Promise<Case | undefined> {
    return this.run('getCase', async (r) => (await this.fetchCases(r, [id]))[0]);
  }

  async saveCase(c: Case, prev?: Case): Promise<void> {
    const names = indexesOf(c);
    const idx = JSON.stringify(names);
    // The stored version is `prev` exactly when the save succeeds (same rev): the hops it shares are there
    // already, and its memberships tell whether this save changes them.
    const stored = prev?.rev === c.rev - 1 ? prev : undefined;
    let fields = caseFields(c, stored);
    const key = this.keys.case(c.id);
    const save = async (r: RedisClient, force: '0' | '1'): Promise<StoreReply> => {
      const partial = fields.hops.length < 2 * c.hops.length ? '1' : '0';
      const reply = (await SAVE.run(r, [key], [c.rev - 1, c.rev, idx, fields.json, force, partial, ...fields.hops])) as StoreReply;
      if (reply[0] !== WHOLE) return reply;
      fields = caseFields(c);
      return (await SAVE.run(r, [key], [c.rev - 1, c.rev, idx, fields.json, force, '0', ...fields.hops])) as StoreReply;
    };
    const reply = await this.run('saveCase', async (r) => {
      if (stored === undefined || JSON.stringify(indexesOf(stored)) === idx) {
        const saved = await save(r, '0');
        if (saved[0] !== REINDEX) return saved;
      }
      // The memberships change (a new status): indexed before the write, settled after, as the index requires.
      await this.index.add(r, c, names);
      const forced = await save(r, '1');
      await this.settleQuietly(r, c.id, forced[0] === SAVED ? [SAVED, String(c.rev), idx] : forced);
      return forced;
    });
    if (reply[0] === SAVED) return;
    if (reply[0] === MISSING) throw caseMissing(c.id);
    throw caseMoved(c.id, Number(reply[1]), c.rev - 1);
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

  async enqueue(provider: string, q: HopQuery): Promise<void> {
    await this.run('enqueue', (r) => ENQUEUE.run(r, [this.keys.queue(provider)], [JSON.stringify(q), this.keys.queueChannel(provider), q.queryId]));
  }

  async take(provider: string, max: number): Promise<HopQuery[]> {
    positiveCount('take', 'max', max);
    const items = await this.run('take', (r) => r.lpop(this.keys.queue(provider), max));
    return (items ?? []).map((json) => JSON.parse(json) as HopQuery);
  }

  onEnqueue(provider: string, listener: () => void): () => void {
    return this.signals.listen(provider, listener);
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
    await closeRedis(this.redis);
  }

  // ---- internals ----

  /** Runs one operation once connected; every failure becomes a StoreUnavailableError naming the operation. */
  private async run<T>(op: string, work: (redis: RedisClient) => Promise<T>): Promise<T> {
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

  /**
   * Drops the memberships the stored version (as a script replied it) lacks. The write is decided: a failure here
   * only leaves an index membership too many, which readers skip.
   */
  private async settleQuietly(r: RedisClient, id: string, stored: StoreReply): Promise<void> {
    const [, rev, names] = stored;
    if (rev === undefined || names === undefined) return;
    await this.index.settle(r, id, Number(rev), JSON.parse(names) as string[]).catch(() => undefined);
  }

  private async fetchCases(r: RedisClient, ids: readonly string[]): Promise<Case[]> {
    const found = await Promise.all(ids.map((id) => r.hgetall(this.keys.case(id))));
    return found.flatMap((fields) => caseFromFields(fields) ?? []);
  }

  /** The cases of an index, in its order, that pass `keep` (the index may hold ids that no longer belong). */
  private async casesIn(r: RedisClient, name: CaseIndexName, order: 'newest' | 'oldest', keep: (c: Case) => boolean, limit = Infinity): Promise<Case[]> {
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

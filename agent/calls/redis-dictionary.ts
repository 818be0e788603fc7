/**
 * The term dictionary in Redis, shared by every agent instance on the same Redis, all under the `{dict}` hash tag
 * (one Redis Cluster slot). Per kind: a hash term → id, a hash id → term, and an id counter.
 *
 * Ingresses, sources, identities: lock-free: allocate ids, publish id → term, then claim term → id with HSETNX;
 * when a concurrent agent claimed a term first, its id wins and ours is simply never used.
 *
 * Files (leased, dictionary.ts) have two keys more: `file:until`, a sorted set of id by the end of its lease
 * (the expiry of the newest bucket an entry naming it was written to), and `file:free`, a list of trimmed ids to
 * give again. Leasing and trimming are scripts over these keys, so neither sees the other half done: trimming
 * takes the ids whose lease ended by Redis's own clock (the one bucket keys expire by) from the sorted set, a
 * range query rather than a scan (DESIGN §6), and only once FILE_TRIM_GRACE_MS has passed (dictionary.ts).
 */
import type { InternedKind } from './codec.js';
import type { FileLease, TermStore } from './dictionary.js';
import { execAll } from './redis-exec.js';
import type { RedisLink } from './redis-link.js';

/**
 * KEYS: ids, terms, seq, until, free; ARGV: legacy lease (ms), then term, until, term, until... → id, lease end,
 * id, lease end... A term interned before leases existed has an id but no lease, and entries naming it may sit in
 * any bucket still kept: its first lease runs at least the legacy lease from now (retention and a bucket: past
 * the expiry of every bucket kept now), however old the bucket that asks.
 */
const LEASE_SCRIPT = `
local out = {}
local now
for i = 2, #ARGV, 2 do
  local id = redis.call('HGET', KEYS[1], ARGV[i])
  local untilMs = ARGV[i + 1]
  if not id then
    id = redis.call('LPOP', KEYS[5]) or tostring(redis.call('INCR', KEYS[3]))
    redis.call('HSET', KEYS[1], ARGV[i], id)
    redis.call('HSET', KEYS[2], id, ARGV[i])
  elseif not redis.call('ZSCORE', KEYS[4], id) then
    if not now then
      local t = redis.call('TIME')
      now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
    untilMs = string.format('%.0f', math.max(tonumber(untilMs), now + tonumber(ARGV[1])))
  end
  redis.call('ZADD', KEYS[4], 'GT', untilMs, id)
  out[#out + 1] = id
  out[#out + 1] = redis.call('ZSCORE', KEYS[4], id)
end
return out`;

/**
 * KEYS: ids, terms, until, free; ARGV: limit, grace (ms). A lease that ends at t covers entries expiring at t:
 * dropped once the grace after t has passed.
 */
const TRIM_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%.0f', now - tonumber(ARGV[2])), 'LIMIT', 0, tonumber(ARGV[1]))
if #ids == 0 then return 0 end
local terms = redis.call('HMGET', KEYS[2], unpack(ids))
for i = 1, #ids do
  if terms[i] and redis.call('HGET', KEYS[1], terms[i]) == ids[i] then redis.call('HDEL', KEYS[1], terms[i]) end
end
redis.call('HDEL', KEYS[2], unpack(ids))
redis.call('ZREM', KEYS[3], unpack(ids))
redis.call('RPUSH', KEYS[4], unpack(ids))
return #ids`;

export class RedisTermStore implements TermStore {
  constructor(
    private readonly link: RedisLink,
    private readonly keyPrefix: string,
    /** The first lease of a term interned before leases existed, from now (LEASE_SCRIPT): retention + a bucket. */
    private readonly legacyLeaseMs: number,
  ) {}

  intern(kind: InternedKind, terms: readonly string[]): Promise<number[]> {
    return this.link.run('add', async (redis) => {
      const idsKey = this.key(kind, 'ids');
      const ids = await redis.hmget(idsKey, ...terms);
      const missing = terms.filter((_, i) => ids[i] === null);
      if (missing.length > 0) {
        const last = await redis.incrby(this.key(kind, 'seq'), missing.length);
        const pipeline = redis.pipeline();
        pipeline.hset(this.key(kind, 'terms'), ...missing.flatMap((term, i) => [last - missing.length + 1 + i, term]));
        missing.forEach((term, i) => pipeline.hsetnx(idsKey, term, last - missing.length + 1 + i));
        pipeline.hmget(idsKey, ...missing);
        const winners = (await execAll(pipeline)).at(-1) as (string | null)[];
        let next = 0;
        ids.forEach((id, i) => {
          if (id === null) ids[i] = winners[next++] ?? null;
        });
      }
      return ids.map(Number);
    });
  }

  resolve(kind: InternedKind, ids: readonly number[]): Promise<(string | null)[]> {
    return this.link.ask('lookup', (redis) => redis.hmget(this.key(kind, 'terms'), ...ids.map(String)));
  }

  // EVAL rather than a defined command: a cluster client's auto-pipeline made before a command is defined lacks
  // it, and these run once per file and bucket, and once per trim.
  leaseFiles(terms: readonly string[], until: readonly number[]): Promise<FileLease[]> {
    return this.link.run('add', async (redis) => {
      const keys = (['ids', 'terms', 'seq', 'until', 'free'] as const).map((part) => this.key('file', part));
      const args = terms.flatMap((term, i) => [term, until[i] as number]);
      const reply = (await redis.eval(LEASE_SCRIPT, keys.length, ...keys, this.legacyLeaseMs, ...args)) as string[];
      return terms.map((_, i) => ({ id: Number(reply[2 * i]), until: Number(reply[2 * i + 1]) }));
    });
  }

  resolveFiles(ids: readonly number[]): Promise<({ term: string; until: number | null } | null)[]> {
    return this.link.ask('lookup', async (redis) => {
      const fields = ids.map(String);
      const pipeline = redis.pipeline();
      pipeline.hmget(this.key('file', 'terms'), ...fields);
      pipeline.zmscore(this.key('file', 'until'), ...fields);
      const [terms, untils] = (await execAll(pipeline)) as [(string | null)[], (string | null)[]];
      return terms.map((term, i) => (term === null ? null : { term, until: untils[i] == null ? null : Number(untils[i]) }));
    });
  }

  trimFiles(limit: number, graceMs: number): Promise<number> {
    const keys = (['ids', 'terms', 'until', 'free'] as const).map((part) => this.key('file', part));
    return this.link.run('trim', async (redis) => Number(await redis.eval(TRIM_SCRIPT, keys.length, ...keys, limit, graceMs)));
  }

  private key(kind: InternedKind | 'file', part: 'ids' | 'terms' | 'seq' | 'until' | 'free'): string {
    return `${this.keyPrefix}{dict}:${kind}:${part}`;
  }
}

/**
 * Case indexes in Redis: sorted sets of case ids by createdAt (all cases, per status, per campaign), so
 * listing never scans. Each case has its own hash tag and the indexes share another, so on Redis Cluster a
 * case write and an index update cannot be one transaction. The indexes therefore may hold too much, never
 * too little, and readers check every case they list:
 *   - `add` runs before a version is written: a crash after the write leaves no membership missing (an open
 *     case is always found again after a restart);
 *   - `settle` runs after: it drops memberships the stored version does not have. Each case's index entry
 *     remembers the highest rev being written, so a slow instance holding an older version never drops
 *     what a newer save added.
 * A save that keeps a case's memberships (most saves: a hop moves on, the case stays open) touches no index:
 * the case remembers its memberships beside its JSON (redis-store.ts).
 */
import type { RedisClient } from '../../config/redis-connection.js';
import type { Case } from '../case.js';
import type { CaseFilter } from './listing.js';
import { LuaScript } from './lua.js';
import type { HubKeys } from './redis-keys.js';

export type CaseIndexName = 'all' | `status:${string}` | `campaign:${string}`;

// KEYS[1] index entries (hash: case id -> {rev, keys}); ARGV: index key base, case id, rev, createdAt, index names...
const ADD = new LuaScript(`
local raw = redis.call('HGET', KEYS[1], ARGV[2])
local rev = tonumber(ARGV[3])
local entry = raw and cjson.decode(raw) or { rev = rev, keys = {} }
local have = {}
for _, name in ipairs(entry.keys) do have[name] = true end
for i = 5, #ARGV do
  redis.call('ZADD', ARGV[1] .. ARGV[i], ARGV[4], ARGV[2])
  if not have[ARGV[i]] then
    entry.keys[#entry.keys + 1] = ARGV[i]
    have[ARGV[i]] = true
  end
end
entry.rev = math.max(entry.rev, rev)
redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(entry))
return 1
`);

// KEYS[1] index entries; ARGV: index key base, case id, the stored rev, the stored version's index names...
const SETTLE = new LuaScript(`
local raw = redis.call('HGET', KEYS[1], ARGV[2])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.rev > tonumber(ARGV[3]) then return 0 end
local keep = {}
for i = 4, #ARGV do keep[ARGV[i]] = true end
local kept = {}
for _, name in ipairs(entry.keys) do
  if keep[name] then kept[#kept + 1] = name else redis.call('ZREM', ARGV[1] .. name, ARGV[2]) end
end
entry.keys = kept
redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(entry))
return 1
`);

export function indexesOf(c: Case): CaseIndexName[] {
  const names: CaseIndexName[] = ['all', `status:${c.status}`];
  if (c.campaign !== undefined) names.push(`campaign:${c.campaign}`);
  return names;
}

/** The narrowest index holding every case the filter can match (a campaign is usually smaller than a status). */
export function indexFor(f: CaseFilter): CaseIndexName {
  if (f.campaign !== undefined) return `campaign:${f.campaign}`;
  if (f.status !== undefined) return `status:${f.status}`;
  return 'all';
}

export class CaseIndex {
  private readonly entries: string;

  constructor(private readonly keys: HubKeys) {
    this.entries = `${keys.caseIndex}entries`;
  }

  /** Adds the memberships `names` of the version `rev` of case `c` is about to be written. */
  async add(redis: RedisClient, c: Pick<Case, 'id' | 'rev' | 'createdAt'>, names: readonly CaseIndexName[]): Promise<void> {
    await ADD.run(redis, [this.entries], [this.keys.caseIndex, c.id, c.rev, c.createdAt, ...names]);
  }

  /** Drops the memberships of case `id` that its stored version `rev` (whose memberships are `names`) lacks. */
  async settle(redis: RedisClient, id: string, rev: number, names: readonly string[]): Promise<void> {
    await SETTLE.run(redis, [this.entries], [this.keys.caseIndex, id, rev, ...names]);
  }

  /** Up to `count` ids from position `offset` of an index, newest or oldest first. */
  ids(redis: RedisClient, name: CaseIndexName, order: 'newest' | 'oldest', offset: number, count: number): Promise<string[]> {
    const key = this.keys.caseIndex + name;
    const stop = String(offset + count - 1);
    return order === 'newest' ? redis.zrange(key, offset, stop, 'REV') : redis.zrange(key, offset, stop);
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HolderStore, MemoryHolderStore, openHolders, prefixesOf, RedisHolderStore } from '../../../hub/forward/holders.js';
import { startRedisCluster, type RedisCluster } from '../../helpers/cluster.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';

let redis: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster(3)]);
}, 60_000);
afterAll(() => Promise.all([redis?.stop(), cluster?.stop()]));
const keyPrefix = () => `ht:blocks${Math.random().toString(36).slice(2)}:`;

const backends: [string, () => HolderStore][] = [
  ['memory', () => new MemoryHolderStore()],
  ['redis', () => new RedisHolderStore({ url: redis.url }, keyPrefix())],
  // Opened the way the hub opens it with `redis.cluster`, seeded by a node that need not own the key's slot.
  ['redis on a three-node cluster', () => openHolders({ url: cluster.urls[1]!, cluster: true }, keyPrefix())],
];

describe.each(backends)('number blocks (%s)', (_name, open) => {
  it('finds the holder by the longest registered prefix; a pooled thousands block wins over its NPA-NXX', async () => {
    const s = open();
    await s.put({ prefix: '+1312555', provider: 'voiptel' });
    await s.put({ prefix: '+13125559', provider: 'porttel' });
    expect(await s.holderOf('+13125550199')).toEqual({ prefix: '+1312555', provider: 'voiptel' });
    expect(await s.holderOf('+13125559001')).toEqual({ prefix: '+13125559', provider: 'porttel' });
    expect(await s.holderOf('+14155550100')).toBeUndefined();
    expect(await s.remove('+13125559')).toBe(true);
    expect(await s.remove('+13125559')).toBe(false);
    expect(await s.holderOf('+13125559001')).toEqual({ prefix: '+1312555', provider: 'voiptel' });
    expect(await s.list()).toEqual([{ prefix: '+1312555', provider: 'voiptel' }]);
    await s.close();
  });
});

it('looks a number up by each of its prefixes, longest first', () => {
  expect(prefixesOf('+1312')).toEqual(['+1312', '+131', '+13', '+1']);
});

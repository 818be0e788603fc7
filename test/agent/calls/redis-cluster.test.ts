/**
 * The Redis call index on a three-node Redis Cluster: the whole contract, with calls whose shards (hash tags)
 * are spread over every node, so that a batch writes keys of many slots and a lookup reads one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf, shardOf } from '../../../agent/calls/layout.js';
import { createRedisCallIndex } from '../../../agent/calls/redis-index.js';
import { createRedisCheckpointStore } from '../../../agent/cdr/redis-checkpoints.js';
import { startRedisCluster, type RedisCluster } from '../../helpers/cluster.js';
import { call, callIndexContract } from './contract.js';

let cluster: RedisCluster;
let prefixes = 0;
const nextPrefix = () => `c${++prefixes}:`;
/** A cluster client first learns the slots from its seed: on a loaded machine that can take over a second. */
const timeoutMs = 5000;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(() => cluster?.stop());

callIndexContract('redis cluster', (options) => createRedisCallIndex({ url: cluster.urls[0] as string, cluster: true, timeoutMs, keyPrefix: nextPrefix(), ...options }));

describe('redis call index on a cluster', () => {
  it('indexes a batch whose shards live on every node, finds each call, and counts them all', async () => {
    const keyPrefix = nextPrefix();
    const index = createRedisCallIndex({ url: cluster.urls[1] as string, cluster: true, timeoutMs, keyPrefix, retentionDays: 30, bucketSec: 3600 });
    const client = cluster.client();
    try {
      const T = Date.now() - 60_000;
      const calls = Array.from({ length: 300 }, (_, i) => call({ at: T + i, called: `+1202${String(5_550_000 + i)}`, calling: i % 10 === 0 ? 'restricted' : '+13125550117' }));
      await index.add(calls);
      for (const c of calls) expect(await index.lookup(c.called, T - 1000, T + 1000)).toEqual([c]);
      expect(await index.size()).toBe(300);
      // The keys are spread over the three masters.
      const layout = layoutOf({ retentionDays: 30, bucketSec: 3600 });
      const owners = new Set(
        await Promise.all(calls.map(async (c) => String(await client.call('CLUSTER', 'KEYSLOT', `${keyPrefix}{${shardOf(layout, c.called)}}:x`)))),
      );
      const nodesOf = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const nodes = new Set([...owners].map((slot) => nodesOf.find(([from, to]) => Number(slot) >= from && Number(slot) <= to)?.[2][1]));
      expect(nodes.size).toBe(3);
    } finally {
      client.disconnect();
      await index.close();
    }
  });

  it('keeps CDR checkpoints of several sources and agents through the cluster client', async () => {
    const stores = ['carrier-a', 'carrier-b'].map((agent) => createRedisCheckpointStore({ url: cluster.urls[2] as string, cluster: true, timeoutMs, agent }));
    try {
      const checkpoint = (key: string, offset: number) => ({ key, name: `${key}.ACT`, head: { hash: 'aGVhZA', length: 4 }, offset, line: 3 });
      await Promise.all(stores.map((s, i) => s.save('ribbon:/var/cdr', [checkpoint('1:2', 100 + i), checkpoint('1:3', 7)])));
      await stores[0]?.forget('ribbon:/var/cdr', ['1:3']);
      expect(await stores[0]?.load('ribbon:/var/cdr')).toEqual([checkpoint('1:2', 100)]);
      expect((await stores[1]?.load('ribbon:/var/cdr'))?.map((c) => c.offset).sort()).toEqual([101, 7]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

/**
 * The Redis Cluster test helper (test/helpers/cluster.ts): three masters that split the slots, and a cluster
 * client that reaches keys on every node. The stores' own suites run against it in their test files.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../helpers/cluster.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(() => cluster?.stop());

describe('a three-node Redis Cluster', () => {
  it('splits the 16384 slots between three masters', async () => {
    const owned = await Promise.all(
      cluster.urls.map(async (url) => {
        const node = new Redis(url);
        try {
          const info = String(await node.call('CLUSTER', 'INFO'));
          expect(info).toContain('cluster_known_nodes:3');
          const myself = String(await node.call('CLUSTER', 'MYID'));
          const slots = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
          return slots.filter((s) => s[2][2] === myself).reduce((n, s) => n + s[1] - s[0] + 1, 0);
        } finally {
          node.disconnect();
        }
      }),
    );
    expect(owned.every((n) => n > 5000)).toBe(true);
    expect(owned.reduce((a, b) => a + b, 0)).toBe(16_384);
  });

  it('serves keys of every slot through a cluster client, and refuses them with MOVED on a plain client of one node', async () => {
    const client = cluster.client();
    const plain = new Redis(cluster.urls[0]!);
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `k:${i}`);
      for (const k of keys) await client.set(k, k);
      expect(await Promise.all(keys.map((k) => client.get(k)))).toEqual(keys);
      const refused = await Promise.all(keys.map((k) => plain.get(k).then(() => null, (err: Error) => err.message.split(' ')[0])));
      expect(refused).toContain('MOVED');
    } finally {
      client.disconnect();
      plain.disconnect();
    }
  });
});

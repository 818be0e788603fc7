/**
 * The agent's DNO cache on a three-node Redis Cluster (test/helpers/cluster.ts), opened the way the agent opens
 * it (`redis.cluster`): one node's URL is the seed. Every key of a site carries the tag `{dno:<site>}`, so its
 * scripts, pipelines and transactions run in one slot; the contract suite runs here unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../agent/calls/store.js';
import { RedisDnoCache } from '../../../agent/dno/redis-cache.js';
import { startRedisCluster, type RedisCluster } from '../../helpers/cluster.js';
import { allEntries, cacheContract, delta, full, manyNumbers, nextChange, number } from './cache-contract.js';

let cluster: RedisCluster;
let sites = 0;
const site = () => `c3site-${++sites}`;
/** A cache of `name` on the cluster, seeded by node `seed`. */
const onCluster = (name: string, seed = sites % 3) => new RedisDnoCache({ url: cluster.urls[seed]!, cluster: true, site: name });

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(() => cluster?.stop());

describe('RedisDnoCache on a three-node cluster', () => {
  cacheContract(async () => onCluster(site()));
});

describe('RedisDnoCache instances of a site on a three-node cluster', () => {
  it('two instances seeded by different nodes see each other’s changes and read the same list', async () => {
    const name = site();
    const [a, b] = [onCluster(name, 0), onCluster(name, 2)] as const;
    try {
      await b.version();
      const heardByB = nextChange(b);
      await a.apply(full(1, manyNumbers(3000)));
      expect(await heardByB).toBe(1);
      expect(await allEntries(b)).toEqual(await allEntries(a));
      await a.version();
      const heardByA = nextChange(a);
      expect(await b.apply(delta(1, 2, [number('+12025550101')], [number('+13030000000', 'listed', { source: 'hub' })]))).toBe(true);
      expect(await heardByA).toBe(2);
      expect(await allEntries(a)).toHaveLength(3000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps a site on the node owning its tag, and sites spread over the nodes', async () => {
    const names = Array.from({ length: 12 }, () => site());
    const caches = names.map((name) => onCluster(name));
    try {
      await Promise.all(caches.map((c, i) => c.apply(full(1, manyNumbers(200 + i)))));
      for (const name of names) {
        const perNode = await cluster.keysPerNode(`{dno:${name}}:*`);
        expect(perNode.filter((keys) => keys.length > 0)).toHaveLength(1);
      }
      const used = await cluster.keysPerNode('{dno:c3site-*');
      expect(used.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
    } finally {
      await Promise.all(caches.map((c) => c.close()));
    }
  });

  it('a refused stale delta leaves no WATCH behind: a full delta after another instance’s change commits', async () => {
    const name = site();
    // Each seeds from another node: the command that ends a WATCH must reach the watched key's node.
    for (let seed = 0; seed < 3; seed++) {
      const [a, b] = [onCluster(name, seed), onCluster(name, (seed + 1) % 3)] as const;
      try {
        const v = await a.version();
        expect(await a.apply(delta(v + 5, v + 6, [number('+12025550199')]))).toBe(false);
        expect(await b.apply(full(v + 1, [number('+12025550100')]))).toBe(true);
        expect(await a.apply(full(v + 2, [number(`+1202555020${seed}`)]))).toBe(true);
        expect(await b.version()).toBe(v + 2);
        expect(await allEntries(b)).toEqual([number(`+1202555020${seed}`)]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    }
  });

  it('without the cluster option, a cache on a node that does not own the site’s slot fails (MOVED) and stores nothing', async () => {
    const name = site();
    const plain = cluster.urls.map((url) => new RedisDnoCache({ url, site: name }));
    try {
      const outcomes = await Promise.allSettled(plain.map((c) => c.apply(full(1, [number('+12025550100')]))));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) {
        if (o.status === 'rejected') expect([o.reason, ((o.reason as StoreUnavailableError).cause as Error).message]).toEqual([expect.any(StoreUnavailableError), expect.stringMatching(/^MOVED /)]);
      }
      expect((await cluster.keysPerNode(`{dno:${name}}:version`)).flat()).toHaveLength(1);
    } finally {
      await Promise.all(plain.map((c) => c.close()));
    }
  });
});

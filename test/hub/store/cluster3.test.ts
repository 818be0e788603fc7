/**
 * The hub store and the notify store on a three-node Redis Cluster (test/helpers/cluster.ts), opened the way
 * the hub opens them (`redis.cluster`): one node's URL is the seed, and the keys of cases, queues and
 * deliveries live on every node. Both stores' contract suites run here unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../agent/calls/store.js';
import { RedisNotifyStore } from '../../../hub/notify/redis-store.js';
import { openHubStore } from '../../../hub/store/open.js';
import { RedisHubStore } from '../../../hub/store/redis-store.js';
import { startRedisCluster, type RedisCluster } from '../../helpers/cluster.js';
import { delivery, notifyStoreContract } from '../notify/store-contract.js';
import { aCase, aQuery, hear, hubStoreContract } from './contract.js';

let cluster: RedisCluster;
let prefixes = 0;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(() => cluster?.stop());

/** Each node's own keys under `prefix`. */
const keysPerNode = (prefix: string) => cluster.keysPerNode(`${prefix}*`);

hubStoreContract('redis on a three-node cluster', async () => {
  const keyPrefix = `ht:c3test${++prefixes}:`;
  const seed = cluster.urls[prefixes % 3]!;
  return [openHubStore({ redisUrl: seed, cluster: true, keyPrefix }), openHubStore({ redisUrl: seed, cluster: true, keyPrefix })];
});

notifyStoreContract('redis on a three-node cluster', async () => {
  const keyPrefix = `ht:c3ntest${++prefixes}:`;
  return [new RedisNotifyStore({ url: cluster.urls[0]!, cluster: true, keyPrefix }), new RedisNotifyStore({ url: cluster.urls[1]!, cluster: true, keyPrefix })];
});

describe('hub stores on a three-node cluster', () => {
  it('spreads cases and queues over every node, and serves them all from one seed', async () => {
    const store = new RedisHubStore({ url: cluster.urls[0]!, cluster: true, keyPrefix: 'ht:spread:' });
    try {
      const ids = Array.from({ length: 12 }, (_, i) => `spread-${i}`);
      for (const [i, id] of ids.entries()) {
        await store.createCase(aCase(id, { createdAt: i }));
        await store.enqueue(`term-${i}`, aQuery(`q${i}`, id));
      }
      const perNode = await keysPerNode('ht:spread:');
      expect(perNode.map((keys) => keys.length > 0)).toEqual([true, true, true]);
      expect(perNode.flat().filter((k) => k.startsWith('ht:spread:case:'))).toHaveLength(12);
      expect((await store.listCases()).map((c) => c.id)).toEqual([...ids].reverse());
      const taken = await Promise.all(ids.map((_, i) => store.take(`term-${i}`, 5)));
      expect(taken.map((qs) => qs.map((q) => q.queryId))).toEqual(ids.map((_, i) => [`q${i}`]));
    } finally {
      await store.close();
    }
  });

  it('wakes a long poll on one hub instance when another enqueues, whichever nodes hold the queue and the subscription', async () => {
    const [a, b] = [0, 2].map((n) => new RedisHubStore({ url: cluster.urls[n]!, cluster: true, keyPrefix: 'ht:wake:' })) as [RedisHubStore, RedisHubStore];
    const providers = ['term-a', 'term-b', 'term-c', 'term-d', 'term-e', 'term-f'];
    try {
      const listeners = providers.map((p) => hear(a, p));
      await Promise.all(listeners.map((l) => l.next()));
      const woken = listeners.map((l) => l.next());
      for (const [i, p] of providers.entries()) await b.enqueue(p, aQuery(`w${i}`, 'c1'));
      await Promise.all(woken);
      expect(listeners.map((l) => l.calls)).toEqual(providers.map(() => 2));
      const queueNodes = (await keysPerNode('ht:wake:queue:')).map((keys) => keys.length > 0);
      expect(queueNodes.filter(Boolean).length).toBeGreaterThan(1);
      expect(await Promise.all(providers.map((p) => a.take(p, 5)))).toEqual(providers.map((_, i) => [aQuery(`w${i}`, 'c1')]));
      for (const l of listeners) l.unsubscribe();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('without the cluster option, a store on a cluster node fails on keys of the other nodes (MOVED) and stores nothing there', async () => {
    const plain = new RedisHubStore({ url: cluster.urls[0]!, keyPrefix: 'ht:plain:' });
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => plain.createCase(aCase(`plain-${i}`))));
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as StoreUnavailableError] : []));
      expect(refused.length).toBeGreaterThan(0);
      for (const err of refused) expect([err, (err.cause as Error).message.split(' ')[0]]).toEqual([expect.any(StoreUnavailableError), 'MOVED']);
      const stored = (await keysPerNode('ht:plain:case:')).flat();
      expect(stored).toHaveLength(12 - refused.length);
    } finally {
      await plain.close();
    }
  });

  it('without the cluster option, the notify store works only on the node owning its {notify} slot', async () => {
    const stores = cluster.urls.map((url) => new RedisNotifyStore({ url, keyPrefix: 'ht:nplain:' }));
    try {
      const outcomes = await Promise.allSettled(stores.map((s, i) => s.addDelivery(delivery(`d${i}`, 1000))));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(((o.reason as StoreUnavailableError).cause as Error).message).toMatch(/^MOVED /);
      expect((await keysPerNode('ht:nplain:{notify}:delivery:')).flat()).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

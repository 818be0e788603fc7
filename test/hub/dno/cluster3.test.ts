/**
 * The hub's DNO master list on a three-node Redis Cluster (test/helpers/cluster.ts), opened the way the hub opens
 * it (`redis.cluster`): one node's URL is the seed. Every key carries the tag `{dno}`, so each change's WATCH,
 * reads and MULTI/EXEC run in one slot; the contract suite runs here unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../agent/calls/store.js';
import { DnoChangeRefused, importRequest, removeRequest } from '../../../hub/dno/master.js';
import { openHubDno } from '../../../hub/dno/open.js';
import { RedisDnoListStore } from '../../../hub/dno/redis-store.js';
import { generateKeyPair } from '../../../proto/keys.js';
import { startRedisCluster, type RedisCluster } from '../../helpers/cluster.js';
import { listOf, numbers, storeContract } from './store-contract.js';

let cluster: RedisCluster;
let prefixes = 0;
const prefix = () => `c3dno${++prefixes}:`;
const onCluster = (keyPrefix: string, seed = prefixes % 3) => new RedisDnoListStore({ url: cluster.urls[seed]!, cluster: true, keyPrefix });

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(() => cluster?.stop());

describe('RedisDnoListStore on a three-node cluster', () => {
  storeContract(async () => onCluster(prefix()));
});

describe('RedisDnoListStore instances on a three-node cluster', () => {
  it('two hub instances seeded by different nodes change one list in turn and see every entry', async () => {
    const keyPrefix = prefix();
    const [a, b] = [onCluster(keyPrefix, 0), onCluster(keyPrefix, 1)] as const;
    try {
      const rows = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).change(importRequest(`+1202555010${i}\n`, {}, { who: `w${i}` }), 0)));
      expect(rows.map((r) => r.row.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await listOf(a)).toEqual(await listOf(b));
      const heard = new Promise<number>((resolve) => {
        const off = b.onChange((v) => (off(), resolve(v)));
      });
      await a.change(importRequest('+12025550111\n', {}, { who: 'x' }), 0);
      expect(await heard).toBe(11);
      expect(await a.deltaSince(9)).toMatchObject({ version: 11 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps a whole list of 5000 entries on the node owning {dno}', async () => {
    const keyPrefix = prefix();
    const store = onCluster(keyPrefix);
    try {
      await store.change(importRequest(numbers(5000), { source: 'itg' }, { who: 'ops' }), 0);
      const perNode = await cluster.keysPerNode(`${keyPrefix}*`);
      expect(perNode.filter((keys) => keys.length > 0)).toHaveLength(1);
      expect(perNode.flat().every((k) => k.startsWith(`${keyPrefix}{dno}:`))).toBe(true);
      expect(await listOf(store)).toHaveLength(5000);
    } finally {
      await store.close();
    }
  });

  it('a refused change, then another instance’s change, then its own: each commits once, nothing lost', async () => {
    const keyPrefix = prefix();
    const [a, b] = [onCluster(keyPrefix, 2), onCluster(keyPrefix, 0)] as const;
    try {
      await a.change(importRequest('+12025550100\n', {}, { who: 'ops' }), 0);
      await expect(a.change(removeRequest('+12025550199\n', { who: 'ops' }), 0)).rejects.toBeInstanceOf(DnoChangeRefused);
      await b.change(importRequest('+12025550101\n', {}, { who: 'ops' }), 0);
      const { row } = await a.change(importRequest('+12025550102\n', {}, { who: 'ops' }), 0);
      expect(row.version).toBe(3);
      expect((await b.summary()).total).toBe(3);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('openHubDno with cluster opens the list on the cluster', async () => {
    const keyPrefix = prefix();
    const dno = openHubDno({ redisUrl: cluster.urls[1]!, cluster: true, keyPrefix, hubId: 'hub', key: generateKeyPair(), keys: () => [], jti: { remember: async () => true } });
    const reader = onCluster(keyPrefix, 2);
    try {
      await dno.service.import('+12025550100\n', {}, 'ops');
      expect((await reader.summary()).total).toBe(1);
    } finally {
      await Promise.all([dno.close(), reader.close()]);
    }
  });

  it('without the cluster option, only the node owning {dno} serves the list; the others fail (MOVED) and store nothing', async () => {
    const keyPrefix = prefix();
    const plain = cluster.urls.map((url) => new RedisDnoListStore({ url, keyPrefix }));
    try {
      const outcomes = await Promise.allSettled(plain.map((s, i) => s.change(importRequest(`+1202555010${i}\n`, {}, { who: 'ops' }), 0)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) {
        if (o.status === 'rejected') expect([o.reason, ((o.reason as StoreUnavailableError).cause as Error).message]).toEqual([expect.any(StoreUnavailableError), expect.stringMatching(/^MOVED /)]);
      }
      expect((await cluster.keysPerNode(`${keyPrefix}*:version`)).flat()).toHaveLength(1);
    } finally {
      await Promise.all(plain.map((s) => s.close()));
    }
  });
});

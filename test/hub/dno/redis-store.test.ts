import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../agent/calls/store.js';
import { importRequest } from '../../../hub/dno/master.js';
import { RedisDnoListStore } from '../../../hub/dno/redis-store.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { listOf, numbers, storeContract } from './store-contract.js';

let server: RedisServer;
let prefixes = 0;
const prefix = () => `t${++prefixes}:`;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});

describe('RedisDnoListStore', () => {
  storeContract(async () => new RedisDnoListStore({ url: server.url, keyPrefix: prefix() }));
});

describe('RedisDnoListStore shared by hub instances', () => {
  it('two instances change one list in turn: versions stay monotonic and both see every entry', async () => {
    const keyPrefix = prefix();
    const a = new RedisDnoListStore({ url: server.url, keyPrefix });
    const b = new RedisDnoListStore({ url: server.url, keyPrefix });
    try {
      const rows = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).change(importRequest(`+1202555010${i}\n`, {}, { who: `w${i}` }), 0)),
      );
      expect(rows.map((r) => r.row.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await listOf(a)).toEqual(await listOf(b));
      expect((await b.summary()).total).toBe(10);
      const heard = new Promise<number>((resolve) => {
        const off = b.onChange((v) => (off(), resolve(v)));
      });
      await a.change(importRequest('+12025550111\n', {}, { who: 'x' }), 0);
      expect(await heard).toBe(11);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps one list id across changes and hub instances; a wiped store starts a new list with a new id', async () => {
    const keyPrefix = prefix();
    const a = new RedisDnoListStore({ url: server.url, keyPrefix });
    const b = new RedisDnoListStore({ url: server.url, keyPrefix });
    const raw = new Redis(server.url);
    try {
      const { list } = await a.summary();
      await b.change(importRequest('+12025550100\n', {}, { who: 'w' }), 0);
      expect(await a.summary()).toMatchObject({ list, version: 1 });
      expect((await b.summary()).list).toBe(list);
      await raw.unlink(...(await raw.keys(`${keyPrefix}*`)));
      await a.change(importRequest('+12025550101\n', {}, { who: 'w' }), 0);
      const after = await b.summary();
      expect(after.version).toBe(1);
      expect(after.list).not.toBe(list);
    } finally {
      await Promise.all([a.close(), b.close(), raw.quit()]);
    }
  });

  it('keeps every key under the {dno} hash tag, and entries as bucket lines of field and payload id', async () => {
    const keyPrefix = prefix();
    const store = new RedisDnoListStore({ url: server.url, keyPrefix });
    const raw = new Redis(server.url);
    try {
      await store.change(importRequest(numbers(5000), { source: 'itg' }, { who: 'ops' }), 0);
      const keys = await raw.keys(`${keyPrefix}*`);
      expect(keys.every((k) => k.startsWith(`${keyPrefix}{dno}:`))).toBe(true);
      const buckets = keys.filter((k) => /:b[0-9]+$/.test(k));
      expect(await raw.type(buckets[0]!)).toBe('string');
      const line = (await raw.get(buckets[0]!))!.split('\n')[0];
      expect(line).toMatch(/^l1303[0-9]{7}\t1$/);
    } finally {
      await Promise.all([store.close(), raw.quit()]);
    }
  });

  it('fails with StoreUnavailableError when Redis is down', async () => {
    const down = await startRedis();
    const store = new RedisDnoListStore({ url: down.url });
    try {
      await store.change(importRequest('+12025550100\n', {}, { who: 'ops' }), 0);
      await down.stop();
      await expect(store.summary()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.change(importRequest('+12025550101\n', {}, { who: 'ops' }), 0)).rejects.toThrow(
        'store unavailable during dno change',
      );
    } finally {
      await store.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../../agent/calls/store.js';
import { RedisDnoCache } from '../../../agent/dno/redis-cache.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { allEntries, cacheContract, delta, full, manyNumbers, nextChange, number } from './cache-contract.js';

let server: RedisServer;
let sites = 0;
const site = () => `site-${++sites}`;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});

describe('RedisDnoCache', () => {
  cacheContract(async () => new RedisDnoCache({ url: server.url, site: site() }));
});

describe('RedisDnoCache shared by instances of a site', () => {
  it('two instances on one Redis see each other’s change through onChange and read the same list', async () => {
    const name = site();
    const a = new RedisDnoCache({ url: server.url, site: name });
    const b = new RedisDnoCache({ url: server.url, site: name });
    try {
      await b.version();
      const heardByB = nextChange(b);
      await a.apply(full(1, [number('+12025550100')]));
      expect(await heardByB).toBe(1);
      expect(await allEntries(b)).toEqual([number('+12025550100')]);

      await a.version();
      const heardByA = nextChange(a);
      expect(await b.apply(delta(1, 2, [number('+12025550101')]))).toBe(true);
      expect(await heardByA).toBe(2);
      expect(await a.version()).toBe(2);
      // a's view of the version moved on: its stale delta is refused.
      expect(await a.apply(delta(1, 3, [number('+12025550199')]))).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('sites do not see each other’s lists', async () => {
    const a = new RedisDnoCache({ url: server.url, site: site() });
    const b = new RedisDnoCache({ url: server.url, site: site() });
    try {
      await a.apply(full(4, [number('+12025550100')]));
      expect(await b.version()).toBe(0);
      expect(await allEntries(b)).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps every key under the site hash tag, and a full replace leaves no keys of the old list', async () => {
    const name = site();
    const cache = new RedisDnoCache({ url: server.url, site: name });
    const raw = new Redis(server.url);
    try {
      await cache.apply(full(1, manyNumbers(5000)));
      const first = await raw.keys(`*${name}*`);
      expect(first.every((k) => k.startsWith(`{dno:${name}}:`))).toBe(true);
      await cache.apply(full(2, [number('+12025550100', 'listed', { source: 'hub' })]));
      const after = await raw.keys(`{dno:${name}}:*`);
      expect(after.filter((k) => k.includes(':g1:'))).toEqual([]);
      expect(await allEntries(cache)).toEqual([number('+12025550100', 'listed', { source: 'hub' })]);
    } finally {
      await Promise.all([cache.close(), raw.quit()]);
    }
  });

  it('stores a large list as compact bucket strings, one line per entry', async () => {
    const name = site();
    const cache = new RedisDnoCache({ url: server.url, site: name });
    const raw = new Redis(server.url);
    try {
      await cache.apply(full(1, manyNumbers(20_000)));
      const buckets = await raw.keys(`{dno:${name}}:g*:b*`);
      // About a hundred entries per bucket: small enough that a delta rewrites little.
      expect(20_000 / buckets.length).toBeGreaterThanOrEqual(64);
      expect(20_000 / buckets.length).toBeLessThanOrEqual(128);
      let bytes = 0;
      for (const key of buckets) {
        expect(await raw.type(key)).toBe('string');
        bytes += (await raw.memory('USAGE', key)) ?? 0;
      }
      expect(bytes / 20_000).toBeLessThan(24);
      const lines = (await raw.get(buckets[0]!))!.split('\n').filter(Boolean);
      for (const line of lines) expect(line).toMatch(/^l1303[0-9]{7}\t0$/);
    } finally {
      await Promise.all([cache.close(), raw.quit()]);
    }
  });

  it('a full replace that died half-way is cleaned up by the next one', async () => {
    const name = site();
    const cache = new RedisDnoCache({ url: server.url, site: name });
    const raw = new Redis(server.url);
    try {
      await cache.apply(full(1, [number('+12025550100')]));
      // What a crash after writing staging buckets leaves behind.
      await raw.set(`{dno:${name}}:staging`, '0:16');
      await raw.append(`{dno:${name}}:g0:b3`, 'l19999999999\n');
      await cache.apply(full(2, [number('+12025550101')]));
      expect(await allEntries(cache)).toEqual([number('+12025550101')]);
      expect(await raw.exists(`{dno:${name}}:staging`)).toBe(0);
    } finally {
      await Promise.all([cache.close(), raw.quit()]);
    }
  });

  it('fails with StoreUnavailableError when Redis is down', async () => {
    const down = await startRedis();
    const cache = new RedisDnoCache({ url: down.url, site: site() });
    try {
      await cache.apply(full(1, [number('+12025550100')]));
      await down.stop();
      await expect(cache.version()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(cache.version()).rejects.toThrow(/store unavailable during dno version \(site site-\d+\)/);
    } finally {
      await cache.close();
    }
  });
});

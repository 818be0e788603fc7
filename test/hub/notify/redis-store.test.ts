import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../agent/calls/store.js';
import { RedisNotifyStore } from '../../../hub/notify/redis-store.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { delivery, notifyStoreContract } from './store-contract.js';

let server: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(() => server.stop());

notifyStoreContract('redis', async () => {
  const keyPrefix = `ht:ntest${++prefixes}:`;
  return [new RedisNotifyStore({ url: server.url, keyPrefix }), new RedisNotifyStore({ url: server.url, keyPrefix })];
});

describe('redis notify store', () => {
  it('refuses a key prefix that would break its hash tag', () => {
    expect(() => new RedisNotifyStore({ url: server.url, keyPrefix: 'ht:{x}:' })).toThrow(/must not contain \{ or \}/);
  });

  it('trims delivered records through its index of delivery times, without a SCAN or KEYS', async () => {
    const store = new RedisNotifyStore({ url: server.url, keyPrefix: 'ht:ntrim:' });
    const admin = new Redis(server.url);
    try {
      await admin.config('RESETSTAT');
      for (let i = 0; i < 3; i++) {
        await store.addDelivery(delivery(`d${i}`, 1000 + i));
        await store.saveDelivery({ ...(await store.getDelivery(`d${i}`))!, state: 'delivered', deliveredAt: 2000 + i });
      }
      expect(await store.trimDelivered(2001, 10)).toBe(2);
      expect(await admin.zrange('ht:ntrim:{notify}:delivered', '0', '-1')).toEqual(['d2']);
      expect(await admin.exists('ht:ntrim:{notify}:delivery:d0', 'ht:ntrim:{notify}:delivery:d1')).toBe(0);
      const stats = await admin.info('commandstats');
      expect(stats).not.toMatch(/cmdstat_(scan|keys):/);
      expect(stats).toMatch(/cmdstat_zrangebyscore:calls=1,/);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it('fails with StoreUnavailableError naming the operation when Redis is gone', async () => {
    const down = await startRedis();
    const store = new RedisNotifyStore({ url: down.url, timeoutMs: 300 });
    await down.stop();
    await expect(store.addDelivery(delivery('d', 1))).rejects.toThrow(StoreUnavailableError);
    await expect(store.addDelivery(delivery('d', 1))).rejects.toThrow(/notify addDelivery/);
    await store.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryHubStore } from '../../../hub/store/memory-store.js';
import { openHubStore } from '../../../hub/store/open.js';
import { RedisHubStore } from '../../../hub/store/redis-store.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';

describe('openHubStore', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('opens the embedded memory store when no Redis URL is configured', async () => {
    for (const store of [openHubStore(), openHubStore({ redisUrl: '' })]) {
      expect(store).toBeInstanceOf(MemoryHubStore);
      await store.close();
    }
  });

  it('opens a Redis store on the URL, under the key prefix', async () => {
    const store = openHubStore({ redisUrl: server.url, keyPrefix: 'ht:open-test:' });
    expect(store).toBeInstanceOf(RedisHubStore);
    await store.setDeadline('case-1', 5);
    const other = openHubStore({ redisUrl: server.url });
    expect(await other.claimDue(10, 10)).toEqual([]);
    expect(await store.claimDue(10, 10)).toEqual(['case-1']);
    await Promise.all([store.close(), other.close()]);
  });

  it('refuses a URL that is not redis:// and a key prefix holding a hash tag brace', () => {
    expect(() => openHubStore({ redisUrl: 'localhost:6379' })).toThrow('Redis URL must start with redis:// or rediss://, got "localhost:6379"');
    expect(() => openHubStore({ redisUrl: server.url, keyPrefix: 'ht:{hub}:' })).toThrow('keyPrefix must not contain { or }, got "ht:{hub}:"');
  });
});

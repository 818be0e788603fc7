import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCallIndex } from '../../../agent/calls/redis-index.js';
import { StoreUnavailableError } from '../../../agent/calls/store.js';
import type { FileCheckpoint } from '../../../agent/cdr/checkpoints.js';
import { openCheckpointStore } from '../../../agent/cdr/open-checkpoints.js';
import { startCdrTailer } from '../../../agent/cdr/tailer.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { capturedLog, cdrLines, CountingIndex, foundCounts, genericSource, metricValue, removeTempDirs, sleep, tempDir, TEST_TUNING, waitUntil } from './tailer-harness.js';

let redis: RedisServer;
beforeAll(async () => {
  // Persisted on every write, so that a killed redis-server comes back with what it acknowledged.
  redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
});
afterAll(async () => {
  await redis.stop();
  removeTempDirs();
});

const checkpoint = (key: string, offset: number): FileCheckpoint => ({ key, name: 'a.ACT', head: { hash: 'h', length: 10 }, offset, line: 7 });

describe('CDR checkpoints in Redis', () => {
  it('saves, loads and forgets checkpoints per source, under the agent hash tag', async () => {
    const store = openCheckpointStore({ redisUrl: redis.url, agent: 'carrier-a' });
    const other = openCheckpointStore({ redisUrl: redis.url, agent: 'carrier-b' });
    await store.save('ribbon:/var/cdr', [checkpoint('1:10', 100), checkpoint('1:11', 200)]);
    await store.save('ribbon:/var/cdr', [checkpoint('1:10', 150)]);
    expect((await store.load('ribbon:/var/cdr')).sort((a, b) => a.key.localeCompare(b.key))).toEqual([checkpoint('1:10', 150), checkpoint('1:11', 200)]);
    expect(await store.load('acme:/var/cdr')).toEqual([]);
    expect(await other.load('ribbon:/var/cdr')).toEqual([]);
    await store.forget('ribbon:/var/cdr', ['1:11']);
    expect(await store.load('ribbon:/var/cdr')).toEqual([checkpoint('1:10', 150)]);
    const raw = new Redis(redis.url);
    expect(await raw.keys('*{agent:carrier-a}*')).toEqual(['ht:{agent:carrier-a}:cdr:ribbon:/var/cdr']);
    await raw.hset('ht:{agent:carrier-a}:cdr:ribbon:/var/cdr', '1:12', 'not json', '1:13', '{"key":"1:13"}');
    expect(await store.load('ribbon:/var/cdr')).toEqual([checkpoint('1:10', 150)]);
    raw.disconnect();
    await Promise.all([store.close(), other.close()]);
  });

  it('fails with StoreUnavailableError when Redis is not there', async () => {
    const store = openCheckpointStore({ redisUrl: 'redis://127.0.0.1:1', agent: 'carrier-a' });
    await expect(store.load('ribbon:/var/cdr')).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });
});

describe('CDR tailer with Redis down and back', () => {
  it('pauses while Redis is down, keeps memory bounded, and indexes every record exactly once after it returns', async () => {
    const dir = tempDir();
    const file = join(dir, 'a.csv');
    writeFileSync(file, '');
    const index = new CountingIndex(createRedisCallIndex({ url: redis.url, retentionDays: 30, bucketSec: 3600, keyPrefix: 'down:' }));
    const checkpoints = openCheckpointStore({ redisUrl: redis.url, agent: 'down-test' });
    const metrics = new Registry();
    const { log, lines } = capturedLog();
    const tailer = startCdrTailer({
      source: genericSource(dir),
      index,
      checkpoints,
      log,
      metrics,
      tuning: { ...TEST_TUNING, batchRecords: 1000, chunkBytes: 16 * 1024 },
    });
    const total = 30_000;
    let written = 0;
    const write = async (until: number) => {
      for (; written < until; written += 500) {
        appendFileSync(file, cdrLines(written, 500));
        await sleep(10);
      }
    };
    try {
      await write(6000);
      await waitUntil('some records are indexed', () => index.added >= 2000);
      await redis.kill();
      await write(20_000); // the switch goes on writing while the store is away
      await waitUntil('the tailer notices', () => lines.some((l) => l['msg'] === 'store unavailable: CDR reading pauses, the batch is retried'));
      const readWhenDown = await metricValue(metrics, 'hoptrace_cdr_records_read_total');
      await sleep(800);
      // Reading stopped: one batch in the store's hands and the next one full, each at most a chunk over.
      expect((await metricValue(metrics, 'hoptrace_cdr_records_read_total')) - readWhenDown).toBeLessThanOrEqual(2 * (1000 + 250));
      await redis.restart();
      await write(total);
      await waitUntil('every record is indexed', async () => (await foundCounts(index, total - 1, 1))[0] === 1, 30_000);
      expect(await foundCounts(index, 0, total)).toEqual(Array(total).fill(1));
      expect(lines.some((l) => l['msg'] === 'store is back: CDR ingestion resumes')).toBe(true);
    } finally {
      await tailer.stop();
      await Promise.all([index.close(), checkpoints.close()]);
    }
  }, 60_000);
});

/**
 * The checkpoint promise, the hard way: a real agent process with a real Redis, SIGKILLed at random moments while
 * a switch keeps writing, rotating and compressing its CDR files. After the last restart every record must be
 * found by lookup exactly once: none lost, none counted twice.
 */
import { appendFileSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_BYTES } from '../../../agent/calls/codec.js';
import { createRedisCallIndex, DEFAULT_KEY_PREFIX } from '../../../agent/calls/redis-index.js';
import { runCli, type Proc } from '../../helpers/proc.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { cdrLines, foundCounts, kamailioLine, removeTempDirs, sleep, tempDir } from './tailer-harness.js';

/** Agent lives, each ended by SIGKILL. */
const KILLS = 6;
/** Lines written while the agent is down: the next one starts by catching up on them. */
const BACKLOG = 5000;
/** Lines per write while the agent runs, one write every 25 ms. */
const STEP = 100;
const ROTATE_EVERY = 8000;
/** An agent process starts in 1–2 s; far longer on a loaded two-core machine. */
const STARTUP_MS = 60_000;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
  removeTempDirs();
});

describe('CDR tailer across crashes', () => {
  it('indexes every record exactly once though the agent is SIGKILLed again and again during ingestion', async () => {
    const dir = tempDir();
    const live = join(dir, 'kamailio.log');
    writeFileSync(live, '');
    let written = 0;
    const write = (lines: number) => {
      for (let n = 0; n < lines; n += STEP) {
        appendFileSync(live, cdrLines(written, STEP, kamailioLine));
        written += STEP;
        if (written % ROTATE_EVERY === 0) rotate(written / ROTATE_EVERY);
      }
    };
    const rotate = (n: number) => {
      const rotated = `${live}.${n}`;
      renameSync(live, rotated);
      writeFileSync(live, '');
      // Every other rotated file is compressed at once (logrotate without delaycompress).
      if (n % 2 === 0) {
        writeFileSync(`${rotated}.gz`, gzipSync(readFileSync(rotated)));
        unlinkSync(rotated);
      }
    };

    const args = ['--provider', 'crash-test', '--redis', redis.url, '--cdr', `kamailio:${dir}`, '--http', '127.0.0.1:0'];
    let agent: Proc | undefined;
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        write(BACKLOG);
        agent = runCli('agent/cli.ts', args);
        await agent.waitFor(/following CDR files/, STARTUP_MS);
        // Early kills land in the catch-up on the backlog, later ones in the stream written meanwhile.
        const until = Date.now() + Math.random() * 800;
        while (Date.now() < until) {
          write(STEP);
          await sleep(25);
        }
        await agent.kill('SIGKILL');
      }
      write(BACKLOG);
      agent = runCli('agent/cli.ts', args);
      await agent.waitFor(/following CDR files/, STARTUP_MS);
      const total = written;

      const index = createRedisCallIndex({ url: redis.url, retentionDays: 30, bucketSec: 3600, timeoutMs: 5000 });
      let counts = await foundCounts(index, 0, total);
      for (const until = Date.now() + 60_000; counts.some((c) => c === 0) && Date.now() < until; ) {
        await sleep(500);
        counts = await foundCounts(index, 0, total);
      }
      await index.close();
      const notOnce = counts.flatMap((c, i) => (c === 1 ? [] : [`call ${i}: ${c}`]));
      expect(notOnce).toEqual([]);
      // Replays after a kill may store an entry twice; lookups return it once, and nothing is missing.
      expect(await storedEntries()).toBeGreaterThanOrEqual(total);
    } finally {
      await agent?.kill('SIGTERM');
    }
  }, 300_000);
});

/** Entries in the call index's Redis keys (each ENTRY_BYTES), copies included. */
async function storedEntries(): Promise<number> {
  const raw = new Redis(redis.url);
  let bytes = 0;
  for await (const keys of raw.scanStream({ match: `${DEFAULT_KEY_PREFIX}{[0-9]*}:*`, count: 1000 }) as AsyncIterable<string[]>) {
    for (const key of keys) if (!key.endsWith(':x')) bytes += await raw.strlen(key);
  }
  raw.disconnect();
  return bytes / ENTRY_BYTES;
}

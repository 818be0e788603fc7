/**
 * Soak: the CDR tailer while Redis is down for 30 s and the switch goes on writing and rotating its files
 * (issue 8). A writer appends generic CSV records to `cdr.log` at a steady rate and rotates it by rename
 * (`cdr.log` → `cdr.log.N`, a new `cdr.log`) every ROTATE records; Redis (AOF, fsync always) is killed -9 in
 * the middle and restarted after the outage. When the writer stops, every record must be found in the call
 * index exactly once (a lookup per record by its called number and time).
 *
 *   npx tsx bench/soak-cdr-outage.ts      SOAK_CDR_RATE=2000 SOAK_CDR_DOWN_SEC=30 SOAK_CDR_BEFORE_SEC=10 SOAK_CDR_AFTER_SEC=10
 *
 * Prints the records written, rotations, how long the tailer took to catch up after Redis returned, the
 * tailer's CPU time and RSS, and the load average; exits 1 if any record is missing or indexed twice.
 */
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createRedisCallIndex } from '../agent/calls/redis-index.js';
import { openCheckpointStore } from '../agent/cdr/open-checkpoints.js';
import { startCdrTailer } from '../agent/cdr/tailer.js';
import { capturedLog, cdrLines, CountingIndex, foundCounts, genericSource, removeTempDirs, sleep, tempDir, waitUntil } from '../test/agent/cdr/tailer-harness.js';
import { startRedis } from '../test/helpers/redis.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RATE = num('SOAK_CDR_RATE', 2_000);
const DOWN_SEC = num('SOAK_CDR_DOWN_SEC', 30);
const BEFORE_SEC = num('SOAK_CDR_BEFORE_SEC', 10);
const AFTER_SEC = num('SOAK_CDR_AFTER_SEC', 10);
const ROTATE = num('SOAK_CDR_ROTATE', 5_000);
const TICK_MS = 100;

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const mb = () => (process.memoryUsage().rss / 2 ** 20).toFixed(0);

async function main(): Promise<number> {
  const redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
  const dir = tempDir();
  const file = join(dir, 'cdr.log');
  writeFileSync(file, '');
  const index = new CountingIndex(createRedisCallIndex({ url: redis.url, retentionDays: 30, bucketSec: 3600, keyPrefix: 'soak:' }));
  const checkpoints = openCheckpointStore({ redisUrl: redis.url, agent: 'soak' });
  const { log, lines } = capturedLog();
  const tailer = startCdrTailer({ source: genericSource(dir, 'cdr.log*'), index, checkpoints, log, metrics: new Registry() });
  let written = 0;
  let rotations = 0;
  /** Writes at RATE for `seconds`, rotating every ROTATE records. */
  const write = async (seconds: number) => {
    const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
    for (const until = Date.now() + seconds * 1000; Date.now() < until; await sleep(TICK_MS)) {
      for (let left = perTick; left > 0; ) {
        const n = Math.min(left, ROTATE - (written % ROTATE));
        appendFileSync(file, cdrLines(written, n));
        written += n;
        left -= n;
        if (written % ROTATE === 0) {
          renameSync(file, `${file}.${++rotations}`);
          writeFileSync(file, '');
        }
      }
    }
  };
  const cpu0 = process.cpuUsage();
  let exit = 0;
  try {
    console.log(`CDR tailer soak: ${RATE} records/s, rotation every ${ROTATE} records; Redis down ${DOWN_SEC} s after ${BEFORE_SEC} s; load ${load()}`);
    await write(BEFORE_SEC);
    console.log(`  before the outage: ${written} written, ${index.added} indexed, RSS ${mb()} MB`);
    await redis.kill();
    const downAt = written;
    await write(DOWN_SEC);
    const rssDown = mb();
    console.log(`  Redis down: ${written - downAt} written meanwhile (${rotations} rotations so far), ${index.added} indexed, RSS ${rssDown} MB`);
    await redis.restart();
    const back = Date.now();
    await write(AFTER_SEC);
    await waitUntil('the tailer caught up', async () => (await foundCounts(index, written - 1, 1))[0] === 1, 300_000);
    const catchUp = (Date.now() - back) / 1000;
    const counts = await foundCounts(index, 0, written);
    const missing = counts.filter((c) => c === 0).length;
    const twice = counts.filter((c) => c > 1).length;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `  after: ${written} records in ${rotations + 1} files; caught up ${catchUp.toFixed(1)} s after Redis returned (writing went on ${AFTER_SEC} s); ` +
        `missing ${missing}, indexed twice ${twice}; index acknowledged ${index.added} (replayed batches count again)`,
    );
    console.log(
      `  process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (tailer, Redis client and lookups); RSS ${mb()} MB; ` +
        `"store unavailable" logged ${lines.filter((l) => String(l.msg).startsWith('store unavailable')).length}×, "store is back" ${lines.filter((l) => String(l.msg).startsWith('store is back')).length}×; load ${load()}`,
    );
    if (missing || twice) exit = 1;
  } finally {
    await tailer.stop();
    await Promise.all([index.close(), checkpoints.close()]);
    await redis.stop();
    removeTempDirs();
  }
  console.log(exit ? 'FAIL: records lost or duplicated' : 'OK: every record indexed exactly once');
  return exit;
}

process.exit(await main());

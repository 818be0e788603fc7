/**
 * The recorder against a real redis-server killed while it writes: the queue stays at its capacity (the count
 * the `hoptrace_sip_record_queue` gauge reports), the rest is dropped and counted, the queued calls do not keep
 * their SIP messages alive, and recording resumes once Redis is back.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCallIndex, type RedisCallIndex } from '../../../agent/calls/redis-index.js';
import type { CallRecord } from '../../../agent/calls/record.js';
import { parseSip } from '../../../agent/sip/parser.js';
import { recordInvite } from '../../../agent/sip/policy.js';
import { CallRecorder } from '../../../agent/sip/recorder.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { REQUEST_LINE, baseWith, sip } from './messages.js';
import { fixturePolicy } from './policy-harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CAPACITY = 2_000;
/** An SDP-sized body is too small to see in the heap; 16 KB makes a pinned datagram 100 times its record. */
const BODY = 'a=x\r\n'.repeat(3_277);
const policy = fixturePolicy('sip');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One call as the policy server learns it: parsed from its datagram, the record made by the answer path. */
function call(n: number): CallRecord {
  const parsed = parseSip(sip([REQUEST_LINE, ...baseWith('call-id', `Call-ID: outage-call-${n}@198.51.100.7`), `Content-Length: ${BODY.length}`], BODY));
  if (!parsed.ok) throw new Error(`test INVITE did not parse: ${parsed.error.reason}`);
  const record = recordInvite(parsed.msg, { address: '198.51.100.7', port: 5060, at: Date.now() }, policy);
  if (!record) throw new Error('test INVITE gave no call record');
  return record;
}

async function until(what: string, done: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

let server: RedisServer;
let index: RedisCallIndex;
beforeAll(async () => {
  server = await startRedis();
  index = createRedisCallIndex({ url: server.url, keyPrefix: 'outage:', timeoutMs: 200, retentionDays: 1, bucketSec: 3600 });
});
afterAll(async () => {
  await index?.close();
  await server?.stop();
});

describe('CallRecorder with Redis killed while it writes', () => {
  it('holds at most its capacity, counts the rest as dropped, keeps no datagram alive, and resumes', async () => {
    const counts = { recorded: 0, overflow: 0, refused: 0 };
    const recorder = new CallRecorder({
      index,
      log: pino({ level: 'silent' }),
      metrics: { recorded: (n) => (counts.recorded += n), dropped: (reason, n) => (counts[reason] += n) },
      capacity: CAPACITY,
      batchSize: 200,
      flushMs: 10,
      retryMs: 20,
      maxRetryMs: 100,
    });
    try {
      for (let n = 0; n < 1_000; n++) recorder.push(call(n));
      await recorder.flush();
      expect(counts.recorded).toBe(1_000);

      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      const killedAt = Date.now();
      await server.kill();
      // Five times the capacity, in bursts with turns between them so that the recorder's writes fail meanwhile.
      for (let n = 1_000; n < 11_000; n++) {
        recorder.push(call(n));
        if (n % 500 === 0) await pause(5);
      }
      expect(counts.recorded).toBe(1_000);
      expect(recorder.queued).toBe(CAPACITY);
      // One batch (200) may be out to the store, waiting for the connection: held besides the queue.
      expect(recorder.dropped).toBeGreaterThanOrEqual(10_000 - CAPACITY - 200);
      expect(counts.overflow).toBe(recorder.dropped);
      gc();
      // 2,000 queued calls with their own text are well under 2 MB. With sliced Call-IDs the queue and the repeat
      // window pinned every 16 KB datagram: 160 MB here.
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 2 ** 20);

      await server.restart();
      for (let n = 11_000; n < 11_100; n++) recorder.push(call(n));
      // Every call is either recorded or counted as dropped.
      await until('the queue to drain', () => recorder.queued === 0 && counts.recorded + counts.overflow === 11_100);
      expect(counts.recorded).toBeGreaterThanOrEqual(1_000 + CAPACITY);
      // The restarted Redis (no persistence) holds exactly what was written after it came back.
      expect(await index.size()).toBe(counts.recorded - 1_000);
      expect((await index.lookup('+12025550143', killedAt, Date.now() + 1_000)).length).toBeGreaterThan(0);
    } finally {
      await recorder.stop(100);
    }
  }, 60_000);
});

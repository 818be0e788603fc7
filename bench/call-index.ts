/**
 * Call index benchmarks (DESIGN §7): Redis memory per indexed call (INFO used_memory delta), ingestion rate
 * with pipelined writes, and hop lookup latency at size, against a private redis-server; then the same for the
 * embedded memory index (process heap + buffers delta).
 *
 *   npx tsx bench/call-index.ts [calls] [spanHours] [shards]   (default 10,000,000 calls over 24 h, default shards)
 *
 * Calls are synthetic and seeded: 3 million distinct called numbers, time-ordered like a CDR stream with a few
 * seconds of disorder, 40 % signed (300 distinct identities), 1 % withheld, 0.5 % non-E.164 calling numbers,
 * 0.1 % DST-ambiguous, a call id on every call, 250 ingresses, 3 sources (two CDR formats, whose calls carry
 * their file and line offset as evidence). Batches of 10,000 are generated
 * before their add() is timed, so the rate is the index's own. On a shared machine wall-clock figures depend on
 * the load (printed), so ingestion also prints its CPU time per record and the rate that implies unshared.
 */
import '../config/fast-strings.js'; // first: restores fast string methods after ioredis loads
import { availableParallelism, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { layoutOf } from '../agent/calls/layout.js';
import { createMemoryCallIndex } from '../agent/calls/memory-index.js';
import type { CallRecord } from '../agent/calls/record.js';
import { createRedisCallIndex } from '../agent/calls/redis-index.js';
import type { CallIndex } from '../agent/calls/store.js';
import { startRedis } from '../test/helpers/redis.js';
import { prng as rng } from '../test/helpers/prng.js';

const CALLS = Number(process.argv[2] ?? 10_000_000);
const SPAN_MS = Number(process.argv[3] ?? 24) * 3_600_000;
const BATCH = 10_000;
const LOOKUPS = 20_000;
const WINDOW_MS = 120_000;
const OPTIONS = { retentionDays: 30, bucketSec: 3600, ...(process.argv[4] !== undefined && { shards: Number(process.argv[4]) }) };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;


const INGRESSES: CallRecord['ingress'][] = [
  ...Array.from({ length: 200 }, (_, i) => ({ ip: `10.${i >> 4}.${i & 15}.7`, port: 5060 })),
  ...Array.from({ length: 50 }, (_, i) => ({ trunkGroup: `TG-${1000 + i}` })),
];
const SOURCES: CallRecord['source'][] = ['sip', 'cdr:ribbon', 'cdr:acme'];
const IDENTITIES: NonNullable<CallRecord['identity']>[] = Array.from({ length: 300 }, (_, i) => ({
  attest: (['A', 'B', 'C'] as const)[i % 3] as 'A' | 'B' | 'C',
  origid: `6f8a${String(i).padStart(4, '0')}-1d0e-4f4e-9f7d-2a3c7b5e9d10`,
  signer: `SPC ${100 + (i % 40)}J`,
  verified: i % 7 !== 0,
}));

const nanp = (next: () => number) => `+1${2_000_000_000 + Math.floor(next() * 7_999_999_999)}`;
const calledNumber = (k: number) => `+1${2_010_000_000 + k * 331}`;

/** The calls, batch by batch; every 500th call is kept as a lookup target. */
function* batches(startMs: number, targets: CallRecord[]): Generator<CallRecord[]> {
  const next = rng(7);
  for (let made = 0; made < CALLS; ) {
    const n = Math.min(BATCH, CALLS - made);
    const batch: CallRecord[] = new Array(n);
    for (let i = 0; i < n; i++, made++) {
      const roll = next();
      const at = startMs + Math.floor((made / CALLS) * SPAN_MS + next() * 5000);
      const record: CallRecord = {
        at,
        calling: roll < 0.01 ? '' : roll < 0.015 ? 'restricted' : nanp(next),
        called: calledNumber(Math.floor(next() * 3_000_000)),
        source: SOURCES[Math.floor(next() * SOURCES.length)] as CallRecord['source'],
        ingress: INGRESSES[Math.floor(next() * INGRESSES.length)] as CallRecord['ingress'],
        callId: `${Math.floor(next() * 2 ** 48).toString(16)}@sbc.example`,
      };
      // A CDR record keeps its file (a new one every 100,000 records, as rotation makes) and line offset.
      if (record.source !== 'sip') record.evidence = { file: `/var/cdr/${record.source.slice(4)}/${Math.floor(made / 100_000)}.cdr`, offset: (made % 100_000) * 650 };
      if (roll < 0.01) record.anonymous = true;
      if (next() < 0.4) record.identity = IDENTITIES[Math.floor(next() * IDENTITIES.length)];
      if (next() < 0.001) record.atAlt = at + 3_600_000;
      batch[i] = record;
      if (made % 500 === 0) targets.push(record);
    }
    yield batch;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface LookupFigures {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  foundRate: number;
  absent: { p50: number; p99: number };
}

interface Ingested {
  perSec: number;
  /** This process's CPU time inside add(), µs per record: the rate on a machine that is not shared. */
  cpuUsPerRecord: number;
}

/** Ingests every batch (timing add() only), calling `measure` after the first million and at the end. */
async function ingest(index: CallIndex, targets: CallRecord[], measure: (calls: number) => Promise<void>): Promise<Ingested> {
  let addMs = 0;
  let cpuUs = 0;
  let done = 0;
  let measuredMillion = false;
  for (const batch of batches(Date.now() - SPAN_MS - 60_000, targets)) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await index.add(batch);
    const cpu = process.cpuUsage(cpu0);
    cpuUs += cpu.user + cpu.system;
    addMs += performance.now() - t0;
    done += batch.length;
    if (!measuredMillion && done >= 1_000_000 && done < CALLS) {
      measuredMillion = true;
      await measure(done);
    }
    if (done % 1_000_000 === 0) process.stderr.write(`  ${done / 1e6}M indexed, ${Math.round(done / (addMs / 1000))}/s\n`);
  }
  await measure(done);
  return { perSec: done / (addMs / 1000), cpuUsPerRecord: cpuUs / done };
}

async function lookups(index: CallIndex, targets: readonly CallRecord[]): Promise<LookupFigures> {
  const next = rng(11);
  const timed = async (called: string, at: number) => {
    const t0 = performance.now();
    const found = await index.lookup(called, at - WINDOW_MS, at + WINDOW_MS);
    return [performance.now() - t0, found.length] as const;
  };
  for (let i = 0; i < 1000; i++) await timed((targets[i % targets.length] as CallRecord).called, (targets[i % targets.length] as CallRecord).at);
  const present: number[] = [];
  let found = 0;
  for (let i = 0; i < LOOKUPS; i++) {
    const target = targets[Math.floor(next() * targets.length)] as CallRecord;
    // The requester's clock is off by up to a minute.
    const [ms, n] = await timed(target.called, target.at + Math.floor((next() - 0.5) * 120_000));
    present.push(ms);
    if (n > 0) found++;
  }
  const absent: number[] = [];
  for (let i = 0; i < LOOKUPS / 4; i++) {
    const target = targets[Math.floor(next() * targets.length)] as CallRecord;
    absent.push((await timed(calledNumber(3_000_000 + i), target.at))[0]);
  }
  present.sort((a, b) => a - b);
  absent.sort((a, b) => a - b);
  return {
    p50: percentile(present, 50),
    p90: percentile(present, 90),
    p99: percentile(present, 99),
    max: present[present.length - 1] as number,
    foundRate: found / LOOKUPS,
    absent: { p50: percentile(absent, 50), p99: percentile(absent, 99) },
  };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** `redisCpuUs`: redis-server's CPU time per record, which a record also costs when add() waits for it. */
function report(name: string, ingested: Ingested, redisCpuUs: number | undefined, l: LookupFigures): void {
  const cpu = ingested.cpuUsPerRecord + (redisCpuUs ?? 0);
  const split = redisCpuUs === undefined ? '' : ` agent + ${fmt(redisCpuUs, 2)} µs redis-server`;
  console.log(
    `${name}: ingest ${fmt(ingested.perSec)} records/s (batches of ${fmt(BATCH)}, one add() at a time); CPU per record ${fmt(ingested.cpuUsPerRecord, 2)} µs${split} = ${fmt(1e6 / cpu)} records/s unshared`,
  );
  console.log(
    `${name}: lookup ±${WINDOW_MS / 1000} s at ${fmt(CALLS)} calls: p50 ${fmt(l.p50, 3)} ms, p90 ${fmt(l.p90, 3)} ms, p99 ${fmt(l.p99, 3)} ms, max ${fmt(l.max, 3)} ms, found ${fmt(l.foundRate * 100, 1)} %`,
  );
  console.log(`${name}: lookup of a number never called: p50 ${fmt(l.absent.p50, 3)} ms, p99 ${fmt(l.absent.p99, 3)} ms`);
}

async function benchRedis(): Promise<void> {
  const server = await startRedis();
  const admin = new Redis(server.url);
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
  const cpuSeconds = async () => {
    const info = await admin.info('cpu');
    return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
  };
  const index = createRedisCallIndex({ url: server.url, ...OPTIONS });
  try {
    await index.ping();
    const base = await usedMemory();
    const cpuBefore = await cpuSeconds();
    const targets: CallRecord[] = [];
    const ingested = await ingest(index, targets, async (calls) => {
      const used = await usedMemory();
      const keys = await admin.dbsize();
      console.log(
        `redis: ${fmt(calls)} calls → used_memory +${fmt((used - base) / 2 ** 20, 1)} MiB = ${fmt((used - base) / calls, 1)} bytes/call (${fmt(keys)} keys, ${fmt(calls / keys, 1)} calls/key)`,
      );
    });
    const redisCpuUs = ((await cpuSeconds()) - cpuBefore) * 1e6;
    await index.seal();
    const sealed = await usedMemory();
    console.log(`redis: after sealing the closed buckets: ${fmt((sealed - base) / CALLS, 1)} bytes/call (+${fmt((sealed - base) / 2 ** 20, 1)} MiB)`);
    report('redis', ingested, redisCpuUs / CALLS, await lookups(index, targets));
  } finally {
    await index.close();
    admin.disconnect();
    await server.stop();
  }
}

async function benchMemory(): Promise<void> {
  const held = () => {
    // Twice: freed buffers are only accounted for after the second pass (weak callbacks).
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const index = createMemoryCallIndex(OPTIONS);
  const targets: CallRecord[] = [];
  const base = held();
  const ingested = await ingest(index, targets, async (calls) => {
    const grown = held() - base;
    console.log(`memory: ${fmt(calls)} calls → heap+buffers +${fmt(grown / 2 ** 20, 1)} MiB = ${fmt(grown / calls, 1)} bytes/call`);
  });
  index.sweep();
  console.log(`memory: after trimming the closed buckets: ${fmt((held() - base) / CALLS, 1)} bytes/call`);
  report('memory', ingested, undefined, await lookups(index, targets));
  await index.close();
}

console.log(
  `call index bench: ${fmt(CALLS)} calls over ${SPAN_MS / 3_600_000} h, ${layoutOf(OPTIONS).shards} shards, ${OPTIONS.bucketSec} s buckets, node ${process.version}, ${new Date().toISOString()}, load average ${fmt(loadavg()[0] as number, 1)}`,
);
await benchRedis();
await benchMemory();
console.log(`load average (1 min) at the end: ${fmt(loadavg()[0] as number, 1)} on ${availableParallelism()} cores`);

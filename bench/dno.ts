/**
 * DNO benchmarks (DESIGN §7): decision latency with 3 million listed numbers, snapshot build time, agent
 * memory with 3 million numbers — the snapshot alone, and a real `hoptrace-agent` process holding them as its
 * local list file (`--dno-file`) — and the Redis cache's full apply and entries() streaming for 3 million.
 *
 *   npx tsx bench/dno.ts [count]        (default 3,000,000)
 *   HOPTRACE_BENCH_DIST=1 npx tsx bench/dno.ts     the agent from dist/ (`npm run build` first), not via tsx
 *
 * Decision latency is timed over batches of 10 decisions (process.hrtime.bigint) and reported per decision,
 * best of 5 rounds of 2 million decisions.
 * Numbers are synthetic NANP numbers from a seeded generator; entries are made chunk by chunk, as the cache
 * streams them, so no 3-million-object array distorts the build and memory figures.
 */
import '../config/fast-strings.js'; // first: restores fast string methods after ioredis loads
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import type { DnoEntry } from '../proto/messages.js';
import { normalise, type Tn } from '../proto/tn.js';
import { decide, type DecideContext } from '../agent/dno/decide.js';
import { RedisDnoCache } from '../agent/dno/redis-cache.js';
import { OverlaidPart } from '../agent/dno/overlay.js';
import { composeSnapshot, type ListPart, SnapshotBuilder, type DnoSnapshot } from '../agent/dno/snapshot.js';
import { startRedis } from '../test/helpers/redis.js';
import { startBenchAgent } from './dno-agent.js';
import { prng as rng } from '../test/helpers/prng.js';

const COUNT = Number(process.argv[2] ?? 3_000_000);
const CHUNK = 10_000;
const SAMPLE_EVERY = 3_001;
const ROUNDS = 5;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;


/** Structurally valid NANP numbers: NPA and NXX 200–999 (some fall on N11/N9X: fine for a list). */
function* listChunks(count: number, seed = 1): Generator<DnoEntry[]> {
  const next = rng(seed);
  for (let made = 0; made < count; ) {
    const n = Math.min(CHUNK, count - made);
    const chunk: DnoEntry[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const npa = 200 + Math.floor(next() * 800);
      const nxx = 200 + Math.floor(next() * 800);
      const line = Math.floor(next() * 10_000);
      chunk[i] = { number: `+1${npa}${nxx}${String(line).padStart(4, '0')}`, category: 'listed', source: 'bench' };
    }
    made += n;
    yield chunk;
  }
}

function sampleNumbers(count: number): string[] {
  const out: string[] = [];
  let i = 0;
  for (const chunk of listChunks(count)) for (const e of chunk) if (i++ % SAMPLE_EVERY === 0) out.push(e.number!);
  return out;
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
const ms = (ns: bigint) => `${(Number(ns) / 1e6).toFixed(0)} ms`;

function buildTimed(count: number): { snapshot: DnoSnapshot; part: ListPart; addNs: bigint; buildNs: bigint; buildCpuMs: number } {
  const builder = new SnapshotBuilder(count);
  let addNs = 0n;
  for (const chunk of listChunks(count)) {
    const t = process.hrtime.bigint();
    builder.add(chunk);
    addNs += process.hrtime.bigint() - t;
  }
  const t = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const part = builder.part();
  const snapshot = composeSnapshot({ version: 1, parts: [part] });
  const buildNs = process.hrtime.bigint() - t;
  const used = process.cpuUsage(cpu);
  return { snapshot, part, addNs, buildNs, buildCpuMs: (used.user + used.system) / 1000 };
}

/** A hub delta of `size` numbers (half added, half removed) laid over the 3-million part, as LiveDno does. */
function overlayTimed(part: ListPart, size: number): number {
  const over = OverlaidPart.over(part);
  const add = [...listChunks(Math.ceil(size / 2), 3)].flat();
  const remove = [...listChunks(Math.floor(size / 2))][0]?.slice(0, Math.floor(size / 2)) ?? [];
  const t = process.hrtime.bigint();
  const next = over.with({ add, remove });
  composeSnapshot({ version: 2, parts: [next] });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/**
 * Per-decision latency: batches of BATCH decisions timed with hrtime, divided by BATCH. Small batches, so
 * that a batch rarely straddles the moment another process takes the CPU (that is not decision latency).
 */
interface Latency {
  p50: number;
  p99: number;
  max: number;
}

function decisionLatency(ctx: DecideContext, callers: readonly Tn[], batches: number): Latency {
  const BATCH = 10;
  const per = new Float64Array(batches);
  let sink = 0;
  for (let b = 0; b < batches; b++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) {
      const d = decide({ calling: callers[(b * BATCH + i) % callers.length]!, called: '+13125550117' }, ctx);
      if (d.action !== 'continue') sink++;
    }
    per[b] = Number(process.hrtime.bigint() - t) / BATCH;
  }
  if (sink < 0) console.log(sink);
  per.sort();
  return { p50: percentile(per, 0.5), p99: percentile(per, 0.99), max: per[per.length - 1]! };
}

async function rssChild(): Promise<void> {
  const { snapshot } = buildTimed(COUNT);
  gc();
  gc();
  const m = process.memoryUsage();
  const { rss, heapUsed, arrayBuffers } = m;
  console.log(JSON.stringify({ rss, heapUsed, arrayBuffers, numbers: snapshot.counts.numbers } satisfies Footprint));
}

interface Footprint {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  numbers: number;
}

/** In a fresh process (tsx included), so this process's own garbage does not count. */
async function measureRss(count: number): Promise<Footprint> {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), String(count), '--rss-child'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on('exit', resolve));
  return JSON.parse(out.trim().split('\n').pop()!) as Footprint;
}

/** A real agent process with the list as its local list file: start time and RSS. */
async function agentWithListFile(count: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-bench-dno-'));
  try {
    const file = join(dir, 'local.txt');
    const lines: string[] = ['number,category,reason'];
    for (const chunk of listChunks(count)) for (const e of chunk) lines.push(`${e.number!},unassigned,spare DID pool`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    lines.length = 0;
    const t0 = performance.now();
    const agent = await startBenchAgent(dir, { provider: 'bench', dno: { file } });
    const startMs = performance.now() - t0;
    const rssStarted = agent.rss();
    await new Promise((r) => setTimeout(r, 10_000));
    const load = loadavg()[0]!.toFixed(1);
    console.log(
      `agent (${agent.runtime}) with a ${count}-number local list file: started in ${(startMs / 1000).toFixed(1)} s (${(agent.cpuMs() / 1000).toFixed(1)} s CPU); ` +
        `RSS ${mb(rssStarted)} at start, ${mb(agent.rss())} after 10 s, peak ${mb(agent.peakRss())} (load ${load})`,
    );
    console.log(`  ${await agent.memory()}`);
    await agent.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function redisFigures(): Promise<void> {
  const server = await startRedis();
  const cache = new RedisDnoCache({ url: server.url, site: 'bench' });
  const raw = new Redis(server.url);
  try {
    const before = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
    const add: DnoEntry[] = [];
    for (const chunk of listChunks(COUNT)) for (const e of chunk) add.push(e);
    let t = process.hrtime.bigint();
    await cache.apply({ version: 1, full: true, add, remove: [] });
    const applyNs = process.hrtime.bigint() - t;
    add.length = 0;
    const after = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
    const inc = Array.from({ length: 1000 }, (_, i): DnoEntry => ({
      number: `+1303555${String(i).padStart(4, '0')}`,
      category: 'listed',
    }));
    t = process.hrtime.bigint();
    await cache.apply({ version: 2, since: 1, full: false, add: inc, remove: [] });
    const deltaNs = process.hrtime.bigint() - t;
    t = process.hrtime.bigint();
    const builder = new SnapshotBuilder();
    let streamed = 0;
    for await (const chunk of cache.entries()) {
      streamed += chunk.length;
      builder.add(chunk);
    }
    const snapshot = builder.build({ version: 2 });
    const streamNs = process.hrtime.bigint() - t;
    const perEntry = ((after - before) / COUNT).toFixed(1);
    console.log(`redis full apply of ${COUNT} entries: ${ms(applyNs)}`);
    console.log(`redis memory for the list: ${mb(after - before)} (${perEntry} bytes/entry)`);
    console.log(`redis incremental delta of 1,000 entries: ${ms(deltaNs)}`);
    const numbers = snapshot.counts.numbers;
    console.log(`redis entries() of ${streamed} + snapshot build: ${ms(streamNs)} (${numbers} numbers)`);
  } finally {
    await cache.close();
    await raw.quit();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const when = new Date().toISOString();
  console.log(`DNO bench: ${COUNT.toLocaleString('en-US')} listed numbers, node ${process.version}, ${when}`);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const { snapshot, part, addNs, buildNs, buildCpuMs } = buildTimed(COUNT);
  console.log(`snapshot add (pack ${COUNT} entries): ${ms(addNs)}`);
  console.log(`snapshot build (sort + dedupe + index): ${ms(buildNs)} wall, ${buildCpuMs.toFixed(0)} ms CPU`);
  console.log(`snapshot add + build: ${ms(addNs + buildNs)} (${snapshot.counts.numbers} distinct numbers)`);
  for (const size of [1, 1000, 10_000]) console.log(`hub delta of ${size} numbers laid over the snapshot: ${overlayTimed(part, size).toFixed(2)} ms`);

  const listed = sampleNumbers(COUNT).map((n) => normalise(n));
  // Random numbers from another seed, minus the few on the list: misses spread over the whole array.
  const others = [...listChunks(1000, 2)][0]!.map((e) => normalise(e.number!));
  const clean = others.filter((tn) => snapshot.lookup(tn.e164!) === null);
  const actions = { invalid: 'block', unallocated: 'block', unassigned: 'block', listed: 'block' } as const;
  const ctx: DecideContext = { snapshot, actions, emergency: [] };
  // Collect the generator's garbage first: a steady-state agent is not in the middle of a major GC.
  gc();
  decisionLatency(ctx, clean, 200_000);
  for (const [name, callers] of [
    ['clean caller (continue)', clean],
    ['listed caller (block)', listed],
  ] as const) {
    // Best of ROUNDS: on a shared machine a round's tail is mostly other processes taking the CPU.
    const rounds = Array.from({ length: ROUNDS }, () => decisionLatency(ctx, callers, 200_000));
    const r = rounds.reduce((best, x) => (x.p99 < best.p99 ? x : best));
    const all = rounds.map((x) => x.p99.toFixed(0)).join(', ');
    console.log(`decide, ${name}: p99 of each round ${all} ns`);
    const [p50, p99, max] = [r.p50, r.p99, r.max].map((x) => x.toFixed(0));
    console.log(`decide, ${name}: p50 ${p50} ns, p99 ${p99} ns, worst batch ${max} ns/decision`);
  }

  for (const m of [await measureRss(0), await measureRss(COUNT)]) {
    const what = `process with a ${m.numbers}-number snapshot (after GC)`;
    console.log(`${what}: RSS ${mb(m.rss)}, heap ${mb(m.heapUsed)}, array buffers ${mb(m.arrayBuffers)}`);
  }
  await agentWithListFile(COUNT);
  await redisFigures();
}

if (process.argv.includes('--rss-child')) await rssChild();
else await main();

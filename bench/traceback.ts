/**
 * Automated traceback benchmark (DESIGN §7: 5 hops, all with agents — p50 ≤ 50 ms end to end, ≥ 500
 * tracebacks/s per hub with Redis).
 *
 *   npx tsx bench/traceback.ts [tracebacks] [inFlight]      (default 3000 tracebacks, 256 in flight)
 *
 * This process is the hub alone: its HTTP API on loopback and the Redis hub store on a private redis-server.
 * A second process is everyone else: five carriers' agents, each with its own memory call index holding its leg
 * of every call and an ingress map naming the upstream — p1 (terminating) ← p2 ← p3 ← p4 ← p5 (whose customer
 * originated the call) — running the real agent code (the pull link's long poll, envelope checks, the answer
 * logic over the call index, answers posted in batches), and the requester starting tracebacks through the API
 * (`POST /v1/tracebacks`, bearer token). All traffic between the two is loopback HTTP; the hub only tells the
 * requester, over the process channel, when a case is stored ended. So the CPU time of each process is what
 * that side costs, and the hub's is what one hub spends per traceback.
 *
 * Latency: tracebacks one at a time, from the POST to the stored outcome. Throughput: `inFlight` tracebacks
 * open at any time (a new one starts as one ends), tracebacks completed per second.
 */
import '../config/fast-strings.js'; // first: restores fast string methods after ioredis loads
import { type ChildProcess, fork } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Agent as HttpAgent, request } from 'undici';
import { answerFromIndex } from '../agent/agent.js';
import { createMemoryCallIndex } from '../agent/calls/memory-index.js';
import type { CallRecord } from '../agent/calls/record.js';
import { IngressMap, type IngressRule } from '../agent/ingress.js';
import { HubLink } from '../agent/link/hub-link.js';
import { PullLink } from '../agent/link/pull.js';
import { createLogger } from '../config/log.js';
import { hashToken, newToken } from '../hub/auth.js';
import type { Case } from '../hub/case.js';
import { defaultEngineConfig } from '../hub/engine.js';
import { Hub } from '../hub/hub.js';
import { listenHub } from '../hub/server.js';
import { RedisHubStore } from '../hub/store/redis-store.js';
import type { HubStore } from '../hub/store/store.js';
import { generateKeyPair, keyPairFromPrivateKey, privateKeyFromPem, privateKeyToPem, publicKeyFromRaw, publicKeyToRaw } from '../proto/keys.js';
import { startRedis } from '../test/helpers/redis.js';

const TRACEBACKS = Number(process.argv[2] ?? 3000);
const IN_FLIGHT = Number(process.argv[3] ?? 256);
const LATENCY_RUNS = 300;
const WARMUP = 300;
const HOPS = 5;
const PROVIDERS = Array.from({ length: HOPS }, (_, i) => `bench-p${i + 1}`);
const CALLS = WARMUP + LATENCY_RUNS + TRACEBACKS;
/** The calls happened a minute apart before the last hour, well within every index's retention. */
const T0 = Date.now() - (CALLS + 60) * 60_000;

/** Call n: a distinct called number, so each lookup finds exactly its call. */
const callOf = (n: number) => ({ calling: '+13125550117', called: `+1202${String(2_000_000 + n).padStart(7, '0')}`, at: new Date(T0 + n * 60_000).toISOString() });

interface AgentSetup {
  provider: string;
  pem: string;
  upstream: string | null;
}

interface Outside {
  hubUrl: string;
  hubKey: string;
  token: string;
  agents: AgentSetup[];
}

/** Hub → outside: run a phase, or cases stored ended (id, and what was wrong with it if anything). */
type ToOutside = { run: 'one-at-a-time' | 'concurrent'; count: number; inFlight: number } | { ended: [string, string?][] };
/** Outside → hub: agents ready, or a phase's figures. */
type FromOutside = { ready: true } | { latencies: number[]; seconds: number; cpuMs: number };

async function main(): Promise<void> {
  const redis = await startRedis();
  const hubKey = generateKeyPair('bench-hub');
  const redisStore = new RedisHubStore({ url: redis.url, keyPrefix: 'bench:' });
  const admin = new Redis(redis.url);
  let child: ChildProcess | undefined;
  // Cases stored ended, told to the requester once per turn of the event loop: the outcome is the hub's stored fact.
  let ended: [string, string?][] = [];
  const tell = () => {
    child?.send({ ended } satisfies ToOutside);
    ended = [];
  };
  // How many queries a long poll takes at once: what batching saves (a poll is a request, a signature and a verification).
  const takes = { taken: 0, queries: 0 };
  const store: HubStore = Object.create(redisStore, {
    take: {
      value: async (provider: string, max: number) => {
        const queries = await redisStore.take(provider, max);
        if (queries.length) (takes.taken++, (takes.queries += queries.length));
        return queries;
      },
    },
    saveCase: {
      value: async (c: Case, prev?: Case) => {
        await redisStore.saveCase(c, prev);
        if (c.status === 'open') return;
        const wrong = c.status !== 'originated' || c.hops.length !== HOPS ? `ended ${c.status} after ${c.hops.length} hops: ${c.detail}` : undefined;
        if (ended.push(wrong ? [c.id, wrong] : [c.id]) === 1) setImmediate(tell);
      },
    },
  });
  // The hub logs as in production (JSON lines, info), into /dev/null.
  const log = createLogger('hoptrace-hub', 'info', pino.destination({ dest: '/dev/null', sync: false }));
  const hub = new Hub({ id: 'hub', key: hubKey, store, log, engine: { ...defaultEngineConfig, agentDeadlineMs: 10_000 } });
  await hub.start();
  const http = await listenHub(hub, { host: '127.0.0.1', port: 0, now: Date.now });
  const token = newToken();
  await store.putToken(hashToken(token), { id: 'bench', roles: ['trace:write', 'trace:read'], createdAt: Date.now() });
  const agents: AgentSetup[] = [];
  for (const [i, provider] of PROVIDERS.entries()) {
    const key = generateKeyPair();
    await hub.registry.upsert({ id: provider, name: provider.toUpperCase(), keys: [{ kid: key.kid, publicKey: publicKeyToRaw(key.publicKey) }] }, Date.now());
    agents.push({ provider, pem: privateKeyToPem(key.privateKey), upstream: PROVIDERS[i + 1] ?? null });
  }

  const setup: Outside = { hubUrl: http.url, hubKey: publicKeyToRaw(hubKey.publicKey), token, agents };
  // fork() runs this file again with this process's loader flags (tsx), as the outside.
  child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), { env: { ...process.env, HOPTRACE_BENCH_OUTSIDE: JSON.stringify(setup) }, stdio: 'inherit' });
  const replies: ((m: FromOutside) => void)[] = [];
  child.on('message', (m: FromOutside) => replies.shift()?.(m));
  child.once('exit', (code) => {
    if (replies.length === 0) return;
    console.error(`the agents' process exited (${code}) during the benchmark`);
    process.exit(1);
  });
  const reply = () => new Promise<FromOutside>((resolve) => replies.push(resolve));
  await reply();
  const run = async (m: ToOutside) => {
    const answered = reply();
    child!.send(m);
    return (await answered) as Extract<FromOutside, { latencies: number[] }>;
  };

  const cpus = os.cpus();
  console.log(`hoptrace traceback benchmark — ${new Date().toISOString()} — node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, load average ${loadavg()}`);
  console.log(`${HOPS} hops through ${HOPS} agents (pull, loopback HTTP, another process), hub store: Redis ${redis.url}`);

  await run({ run: 'one-at-a-time', count: WARMUP, inFlight: 1 });
  report(`latency, one traceback at a time (${LATENCY_RUNS} runs)`, (await run({ run: 'one-at-a-time', count: LATENCY_RUNS, inFlight: 1 })).latencies);

  Object.assign(takes, { taken: 0, queries: 0 });
  const redisBefore = await redisCpuSeconds(admin);
  const bytesBefore = await redisBytesIn(admin);
  const hubBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuMs();
  const loaded = await run({ run: 'concurrent', count: TRACEBACKS, inFlight: IN_FLIGHT });
  const hubUsed = process.cpuUsage(hubBefore);
  const hubMs = (hubUsed.user + hubUsed.system) / 1000 / TRACEBACKS;
  const mainMs = (mainThreadCpuMs() - mainBefore) / TRACEBACKS;
  const redisMs = (((await redisCpuSeconds(admin)) - redisBefore) * 1000) / TRACEBACKS;
  const redisKb = ((await redisBytesIn(admin)) - bytesBefore) / 1024 / TRACEBACKS;
  const outsideMs = loaded.cpuMs / TRACEBACKS;
  console.log(
    `throughput: ${TRACEBACKS} tracebacks (${TRACEBACKS * HOPS} hops) with ${IN_FLIGHT} in flight in ${loaded.seconds.toFixed(2)} s = ${(TRACEBACKS / loaded.seconds).toFixed(0)} tracebacks/s (${((TRACEBACKS * HOPS) / loaded.seconds).toFixed(0)} hops/s)`,
  );
  // The machine may be shared: CPU time per traceback says what the code costs, whatever else runs.
  console.log(
    `CPU per traceback: hub process ${hubMs.toFixed(2)} ms, of it the event loop's thread ${mainMs.toFixed(2)} ms (→ ${(1000 / mainMs).toFixed(0)} tracebacks/s before it is saturated), agents + requester ${outsideMs.toFixed(2)} ms, redis-server ${redisMs.toFixed(2)} ms → ${(2000 / (hubMs + outsideMs + redisMs)).toFixed(0)} tracebacks/s if 2 cores ran all three alone`,
  );
  console.log(`sent to Redis: ${redisKb.toFixed(1)} KB per traceback`);
  console.log(`long polls that took queries: ${takes.taken}, ${(takes.queries / takes.taken).toFixed(1)} queries each`);
  report(`latency under that load`, loaded.latencies);
  console.log(`load average at the end: ${loadavg()}; one Ed25519 verification costs ${verifyCostUs().toFixed(0)} µs CPU here now (5 per traceback in the hub)`);

  child.kill();
  admin.disconnect();
  await http.close();
  await hub.stop();
  await store.close();
  await redis.stop();
}

/** The five carriers' agents and the requester, in their own process. */
async function outside(o: Outside): Promise<void> {
  const log = pino({ level: 'silent' });
  for (const a of o.agents) {
    const index = createMemoryCallIndex({ retentionDays: 30, bucketSec: 3600 });
    const ingress = a.upstream ? { trunkGroup: `TG-${a.upstream}` } : { trunkGroup: 'CUST-7731' };
    const legs: CallRecord[] = Array.from({ length: CALLS }, (_, n) => {
      const c = callOf(n);
      return { at: Date.parse(c.at), calling: c.calling, called: c.called, source: 'sip', ingress };
    });
    await index.add(legs);
    const rule: IngressRule = a.upstream
      ? { match: { trunkGroup: `TG-${a.upstream}` }, target: { upstream: { providerId: a.upstream, name: a.upstream.toUpperCase() } } }
      : { match: { trunkGroup: 'CUST-7731' }, target: { customer: { account: 'acct-7731' } } };
    const map = new IngressMap([rule]);
    const link = new HubLink({
      hubUrl: o.hubUrl,
      hubId: 'hub',
      hubKeys: [publicKeyFromRaw(o.hubKey)],
      provider: a.provider,
      key: keyPairFromPrivateKey(privateKeyFromPem(a.pem)),
      log,
      headersTimeoutMs: 40_000,
      handle: (q) => answerFromIndex(q, index, { provider: a.provider, ingress: map, now: Date.now() }),
    });
    new PullLink(link, { waitSec: 25, log }).start();
  }

  const client = new HttpAgent({ connections: 64 });
  const outcomes = new Outcomes();
  let next = 0;
  /** Start one traceback through the API; resolves with its end-to-end time once the hub stored its outcome. */
  const traceOne = async (): Promise<number> => {
    const call = callOf(next++);
    const t0 = performance.now();
    const res = await request(`${o.hubUrl}/v1/tracebacks`, {
      dispatcher: client,
      method: 'POST',
      headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ call, firstProvider: PROVIDERS[0] }),
    });
    const started = (await res.body.json()) as Case;
    if (res.statusCode !== 201) throw new Error(`start refused: ${res.statusCode} ${JSON.stringify(started)}`);
    const wrong = await outcomes.wait(started.id);
    if (wrong) throw new Error(`traceback ${started.id} ${wrong}`);
    return performance.now() - t0;
  };

  process.on('message', (m: ToOutside) => {
    if ('ended' in m) {
      for (const [id, wrong] of m.ended) outcomes.tell(id, wrong);
      return;
    }
    void phase(m.count, m.inFlight).then((r) => process.send!(r satisfies FromOutside));
  });

  async function phase(count: number, inFlight: number) {
    const latencies: number[] = [];
    const cpu = process.cpuUsage();
    const startedAt = performance.now();
    let launched = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (launched < count) {
          launched++;
          latencies.push(await traceOne());
        }
      }),
    );
    const used = process.cpuUsage(cpu);
    return { latencies, seconds: (performance.now() - startedAt) / 1000, cpuMs: (used.user + used.system) / 1000 };
  }
  process.send!({ ready: true } satisfies FromOutside);
}

/** Cases the hub told ended, met with the requester waiting for each: the hub may tell before the POST answered. */
class Outcomes {
  private readonly told = new Map<string, string | undefined>();
  private readonly waiting = new Map<string, (wrong: string | undefined) => void>();

  tell(id: string, wrong: string | undefined): void {
    const resolve = this.waiting.get(id);
    if (!resolve) return void this.told.set(id, wrong);
    this.waiting.delete(id);
    resolve(wrong);
  }

  /** Resolves with what was wrong with the case, if anything, once it ended. */
  wait(id: string): Promise<string | undefined> {
    if (!this.told.has(id)) return new Promise((resolve) => this.waiting.set(id, resolve));
    const wrong = this.told.get(id);
    this.told.delete(id);
    return Promise.resolve(wrong);
  }
}

/**
 * CPU ms of this process's main thread (Linux /proc, 10 ms ticks): signatures are checked on libuv's thread pool,
 * so the process's CPU is no longer what bounds the hub — its event loop's thread is.
 */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}
const CLOCK_TICKS_PER_SEC = 100;

/** CPU µs of one Ed25519 verification of an answer-sized message: a yardstick for how busy the machine is. */
function verifyCostUs(): number {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const message = Buffer.alloc(1500, 'a');
  const signature = cryptoSign(null, message, privateKey);
  const n = 2000;
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) cryptoVerify(null, message, publicKey, signature);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

/** redis-server's CPU seconds so far (INFO cpu). */
async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  return infoField(info, 'used_cpu_user') + infoField(info, 'used_cpu_sys');
}

/** Bytes the hub has sent Redis so far: the case and queue traffic a traceback costs. */
async function redisBytesIn(admin: Redis): Promise<number> {
  return infoField(await admin.info('stats'), 'total_net_input_bytes');
}

const infoField = (info: string, name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);

function loadavg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

function report(what: string, ms: number[]): void {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!.toFixed(1);
  console.log(`${what}: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
}

if (process.env.HOPTRACE_BENCH_OUTSIDE) await outside(JSON.parse(process.env.HOPTRACE_BENCH_OUTSIDE) as Outside);
else await main();

/**
 * Automated traceback benchmark (DESIGN §7: 5 hops, all with agents — p50 ≤ 50 ms end to end, ≥ 500
 * tracebacks/s per hub with Redis).
 *
 *   npx tsx bench/traceback.ts [tracebacks] [inFlight]      (default 3000 tracebacks, 256 in flight)
 *
 * One hub (its HTTP API on loopback, the Redis hub store on a private redis-server) and five carriers' agents,
 * each with its own memory call index holding its leg of every call and an ingress map naming the upstream:
 * p1 (terminating) ← p2 ← p3 ← p4 ← p5 (whose customer originated the call). Agents run the real agent code —
 * the pull link (long poll), envelope checks, the answer logic over their call index — in a worker thread of
 * this process, and talk to the hub over loopback HTTP only. Tracebacks are started through the API
 * (`POST /v1/tracebacks`, bearer token) and end when the fifth hop answers `originated`.
 *
 * Latency: tracebacks one at a time, from the POST to the stored outcome. Throughput: `inFlight` tracebacks
 * open at any time (a new one starts as one ends), tracebacks completed per second.
 */
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
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
const WARMUP = 200;
const HOPS = 5;
const PROVIDERS = Array.from({ length: HOPS }, (_, i) => `bench-p${i + 1}`);
const T0 = Date.parse('2026-11-28T12:00:00Z');
const CALLS = WARMUP + LATENCY_RUNS + TRACEBACKS;

/** Call n: a distinct called number, a minute apart, so each lookup finds exactly its call. */
const callOf = (n: number) => ({ calling: '+13125550117', called: `+1202${String(2_000_000 + n).padStart(7, '0')}`, at: new Date(T0 + n * 60_000).toISOString() });

interface AgentSetup {
  provider: string;
  pem: string;
  upstream: string | null;
}

if (isMainThread) await main();
else await runAgents(workerData as { hubUrl: string; hubKey: string; agents: AgentSetup[] });

async function main(): Promise<void> {
  const redis = await startRedis();
  const hubKey = generateKeyPair('bench-hub');
  const redisStore = new RedisHubStore({ url: redis.url, keyPrefix: 'bench:' });
  const admin = new Redis(redis.url);
  // Learn when a case is stored ended, without polling: the outcome is the hub's stored fact.
  const ended = new EventEmitter().setMaxListeners(0);
  const store: HubStore = Object.create(redisStore, {
    saveCase: {
      value: async (c: Case) => {
        await redisStore.saveCase(c);
        if (c.status !== 'open') ended.emit(c.id, c);
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

  const agents: AgentSetup[] = PROVIDERS.map((provider, i) => {
    const key = generateKeyPair();
    void hub.registry.upsert({ id: provider, name: provider.toUpperCase(), keys: [{ kid: key.kid, publicKey: publicKeyToRaw(key.publicKey) }] }, Date.now());
    return { provider, pem: privateKeyToPem(key.privateKey), upstream: PROVIDERS[i + 1] ?? null };
  });
  await new Promise((r) => setTimeout(r, 100));
  // This same file is the worker's code; the worker registers tsx itself (an --import in execArgv is not inherited).
  const entry = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(entry, { eval: true, workerData: { hubUrl: http.url, hubKey: publicKeyToRaw(hubKey.publicKey), agents } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });

  const client = new HttpAgent({ connections: 64 });
  let next = 0;
  /** Start one traceback through the API; resolves with its end-to-end time once its outcome is stored. */
  const traceOne = async (): Promise<number> => {
    const call = callOf(next++);
    const t0 = performance.now();
    const res = await request(`${http.url}/v1/tracebacks`, {
      dispatcher: client,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ call, firstProvider: PROVIDERS[0] }),
    });
    const started = (await res.body.json()) as Case;
    if (res.statusCode !== 201) throw new Error(`start refused: ${res.statusCode} ${JSON.stringify(started)}`);
    const done = await new Promise<Case>((resolve) => ended.once(started.id, resolve));
    if (done.status !== 'originated' || done.hops.length !== HOPS) throw new Error(`traceback ${done.id} ended ${done.status} after ${done.hops.length} hops: ${done.detail}`);
    return performance.now() - t0;
  };

  console.log(`hoptrace traceback benchmark — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`${HOPS} hops through ${HOPS} agents (pull, loopback HTTP), hub store: Redis ${redis.url}`);

  for (let i = 0; i < WARMUP; i++) await traceOne();

  const sequential: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) sequential.push(await traceOne());
  report(`latency, one traceback at a time (${LATENCY_RUNS} runs)`, sequential);

  const loaded: number[] = [];
  const redisCpu = await redisCpuSeconds(admin);
  const cpu = process.cpuUsage();
  const startedAt = performance.now();
  let launched = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (launched < TRACEBACKS) {
        launched++;
        loaded.push(await traceOne());
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  const used = process.cpuUsage(cpu);
  const nodeMs = (used.user + used.system) / 1000 / TRACEBACKS;
  const redisMs = ((await redisCpuSeconds(admin)) - redisCpu) * 1000 / TRACEBACKS;
  console.log(`throughput: ${TRACEBACKS} tracebacks (${TRACEBACKS * HOPS} hops) with ${IN_FLIGHT} in flight in ${seconds.toFixed(2)} s = ${(TRACEBACKS / seconds).toFixed(0)} tracebacks/s (${((TRACEBACKS * HOPS) / seconds).toFixed(0)} hops/s)`);
  // The machine may be shared: CPU time per traceback says what the code costs, whatever else runs.
  console.log(`CPU per traceback: ${nodeMs.toFixed(2)} ms in node (hub, API, five agents), ${redisMs.toFixed(2)} ms in redis-server → ${(2000 / (nodeMs + redisMs)).toFixed(0)} tracebacks/s if 2 cores were ours alone`);
  report(`latency under that load`, loaded);

  admin.disconnect();
  await worker.terminate();
  await client.close();
  await http.close();
  await hub.stop();
  await store.close();
  await redis.stop();
}

/** redis-server's CPU seconds so far (INFO cpu). */
async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

function report(what: string, ms: number[]): void {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!.toFixed(1);
  console.log(`${what}: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
}

/** The five carriers' agents: each its own call index, ingress map, key and pull link. */
async function runAgents(o: { hubUrl: string; hubKey: string; agents: AgentSetup[] }): Promise<void> {
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
  parentPort!.postMessage('ready');
}

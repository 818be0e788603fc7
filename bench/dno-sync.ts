/**
 * DNO list sync benchmarks (issue 5): importing 1 million entries on the hub (Redis, through the API as
 * `hoptrace-hub dno import` sends them), a full sync of the resulting list to an agent — time, and bytes on the
 * wire with and without gzip — the agent's snapshot rebuild, the agent's RSS holding the list, and how long a
 * change made on the hub takes to reach a synced agent's snapshot.
 *
 *   npx tsx bench/dno-sync.ts [millions]        (default 3: three imports of 1 million entries each)
 *
 * The agent runs in its own process (this file, with `--agent`), so its RSS is an agent's alone. Numbers are
 * synthetic, distinct 10-digit NANP numbers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { decide } from '../agent/dno/decide.js';
import { LiveDno } from '../agent/dno/live.js';
import { RedisDnoCache } from '../agent/dno/redis-cache.js';
import { DnoSync } from '../agent/dno/sync.js';
import { HubClient } from '../hub/client.js';
import { sign } from '../proto/envelope.js';
import { DNO_POLL_TYPE } from '../proto/dno-sync.js';
import { keyPairFromPrivateKey, privateKeyFromPem, privateKeyToPem, publicKeyFromRaw, publicKeyToRaw } from '../proto/keys.js';
import { normalise } from '../proto/tn.js';
import { silent, startDnoHub } from '../test/helpers/dno-hub.js';
import { startRedis } from '../test/helpers/redis.js';

const MILLION = 1_000_000;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * Wall time and CPU time of `work` (this process's user + system, and Redis's when given): on a shared machine
 * wall time includes waiting for a core, CPU time does not.
 */
async function timed<T>(work: () => Promise<T>, redis?: Redis): Promise<{ value: T; wallMs: number; cpuMs: number; redisCpuMs: number }> {
  const redisCpu = async () => {
    if (!redis) return 0;
    const info = await redis.info('cpu');
    return (Number(/used_cpu_user:([0-9.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([0-9.]+)/.exec(info)![1])) * 1000;
  };
  const r0 = await redisCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000, redisCpuMs: (await redisCpu()) - r0 };
}

const times = (t: { wallMs: number; cpuMs: number; redisCpuMs?: number }) =>
  `${sec(t.wallMs)} wall, ${sec(t.cpuMs)} CPU${t.redisCpuMs ? ` + ${sec(t.redisCpuMs)} Redis CPU` : ''}`;

/** `count` distinct numbers from `from`: +1 and 10 digits, NPA 2xx–9xx. */
function numbers(from: number, count: number): string {
  const lines = new Array<string>(count);
  for (let i = 0; i < count; i++) lines[i] = `+1${2_002_000_000 + (from + i) * 7}`;
  return lines.join('\n');
}

interface AgentFigures {
  sync: { wallMs: number; cpuMs: number };
  syncedEntries: number;
  rebuild: { wallMs: number; cpuMs: number };
  rss: number;
  rssIdle: number;
  /** Before the sync: the process with its modules loaded (under tsx) and an empty list. */
  rssBase: number;
  heapUsed: number;
  heapTotal: number;
  arrayBuffers: number;
  numbers: number;
  deltaCacheMs: number;
  deltaSnapshotMs: number;
}

async function main(): Promise<void> {
  const millions = Number(process.argv[2] ?? 3);
  console.log(`DNO sync bench: ${millions} × 1,000,000 entries, node ${process.version}, ${new Date().toISOString()}`);
  const [hubRedis, siteRedis] = await Promise.all([startRedis(), startRedis()]);
  const hub = await startDnoHub({ redisUrl: hubRedis.url });
  const raw = new Redis(hubRedis.url);
  try {
    const agentKey = await hub.provider('bench-carrier');
    const ops = new HubClient(hub.url, hub.tokens.ops);
    for (let m = 0; m < millions; m++) {
      const text = numbers(m * MILLION, MILLION);
      const t = await timed(() => ops.dno().import(text, { source: 'bench', file: `bench-${m}.txt` }), raw);
      console.log(`hub import of 1,000,000 (${mb(text.length)} file, API + Redis) onto ${m} M: ${times(t)} → version ${t.value.version}`);
    }
    const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
    const { total, version } = await ops.dno().summary();
    console.log(`hub Redis memory with ${total.toLocaleString('en-US')} entries: ${mb(used)} (${(used / total).toFixed(1)} bytes/entry, all keys)`);

    for (const gzip of [false, true]) {
      const poll = sign({}, { iss: 'bench-carrier', aud: 'hub', typ: DNO_POLL_TYPE, key: agentKey });
      const t = await timed(async () => {
        const res = await request(`${hub.url}/v1/agent/dno`, { headers: { authorization: `Hoptrace ${poll}`, ...(gzip && { 'accept-encoding': 'gzip' }) } });
        let bytes = 0;
        for await (const chunk of res.body) bytes += (chunk as Buffer).length;
        return bytes;
      }, raw);
      console.log(`hub full-list stream of ${total.toLocaleString('en-US')} entries${gzip ? ', gzip' : ''}: ${mb(t.value)}, ${times(t)} (read and discarded)`);
    }

    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-bench-'));
    const keyFile = join(dir, 'agent.pem');
    writeFileSync(keyFile, privateKeyToPem(agentKey.privateKey), { mode: 0o600 });
    const agent = await runAgent({ hubUrl: hub.url, hubKey: publicKeyToRaw(hub.key.publicKey), keyFile, kid: agentKey.kid, siteRedis: siteRedis.url, version, opsToken: hub.tokens.ops });
    console.log(`agent full sync of ${agent.syncedEntries.toLocaleString('en-US')} entries into its Redis cache (gzip): ${times(agent.sync)} (agent process)`);
    console.log(`agent snapshot rebuild from its Redis cache: ${times(agent.rebuild)} (${agent.numbers.toLocaleString('en-US')} numbers)`);
    console.log(`agent RSS with the snapshot: ${mb(agent.rss)} right after the sync, ${mb(agent.rssIdle)} after 10 s idle; ${mb(agent.rssBase)} before the sync (heap ${mb(agent.heapUsed)} used of ${mb(agent.heapTotal)}, array buffers ${mb(agent.arrayBuffers)})`);
    console.log(`add on the hub → applied to the agent's cache: ${agent.deltaCacheMs.toFixed(0)} ms; → in its snapshot: ${agent.deltaSnapshotMs.toFixed(0)} ms`);
    await ops.close();
  } finally {
    await raw.quit();
    await hub.stop();
    await Promise.all([hubRedis.stop(), siteRedis.stop()]);
  }
}

interface AgentArgs {
  hubUrl: string;
  hubKey: string;
  keyFile: string;
  kid: string;
  siteRedis: string;
  version: number;
  opsToken: string;
}

async function runAgent(a: AgentArgs): Promise<AgentFigures> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--agent', JSON.stringify(a)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`agent process exited ${String(code)}: ${out}`);
  return JSON.parse(out.trim().split('\n').pop()!) as AgentFigures;
}

/** The agent side: sync into an empty site cache, rebuild the snapshot, measure, then time one change. */
async function agent(a: AgentArgs): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const cache = new RedisDnoCache({ url: a.siteRedis, site: 'bench' });
  const live = new LiveDno({ cache, log: silent, pollMs: 3_600_000 });
  await live.start();
  gc();
  const rssBase = process.memoryUsage().rss;
  let synced: (entries: number) => void = () => undefined;
  const key = keyPairFromPrivateKey(privateKeyFromPem(readFileSync(a.keyFile, 'utf8')), a.kid);
  const sync = new DnoSync({
    cache,
    hubUrl: a.hubUrl,
    hubId: 'hub',
    hubKeys: [publicKeyFromRaw(a.hubKey)],
    provider: 'bench-carrier',
    key,
    waitSec: 25,
    log: silent,
    onSynced: (s) => synced(s.entries),
  });
  const first = await timed(async () => {
    const done = new Promise<number>((resolve) => (synced = resolve));
    sync.start();
    return done;
  });
  // The sync's own change notification started a rebuild: let it finish, then time one of our own.
  await live.refresh();
  const rebuild = await timed(() => live.refresh());
  gc();
  gc();
  const { rss, heapUsed, heapTotal, arrayBuffers } = process.memoryUsage();
  await new Promise((r) => setTimeout(r, 10_000));
  gc();
  const rssIdle = process.memoryUsage().rss;
  const caller = '+12025550199';
  const tn = normalise(caller);
  const ctx = () => ({ snapshot: live.snapshot, actions: { listed: 'block', invalid: 'block', unallocated: 'block', unassigned: 'block' } as const, emergency: [] });
  const ops = new HubClient(a.hubUrl, a.opsToken);
  const applied = new Promise<number>((resolve) => (synced = () => resolve(performance.now())));
  const t2 = performance.now();
  await ops.dno().add([{ number: caller, category: 'listed' }]);
  while (decide({ calling: tn, called: '+13125550117' }, ctx()).action !== 'block') await new Promise((r) => setTimeout(r, 2));
  const deltaSnapshotMs = performance.now() - t2;
  const deltaCacheMs = (await applied) - t2;
  await ops.close();
  await sync.stop();
  live.stop();
  await cache.close();
  const figures: AgentFigures = {
    sync: { wallMs: first.wallMs, cpuMs: first.cpuMs },
    syncedEntries: first.value,
    rebuild: { wallMs: rebuild.wallMs, cpuMs: rebuild.cpuMs },
    rss,
    rssIdle,
    rssBase,
    heapUsed,
    heapTotal,
    arrayBuffers,
    numbers: live.snapshot.counts.numbers,
    deltaCacheMs,
    deltaSnapshotMs,
  };
  console.log(JSON.stringify(figures));
}

if (process.argv[2] === '--agent') await agent(JSON.parse(process.argv[3]!) as AgentArgs);
else await main();

/**
 * DNO list sync benchmarks (issue 5): importing 1 million entries on the hub (Redis, through the API as
 * `hoptrace-hub dno import` sends them), a full sync of the resulting list to an agent — time, and bytes on the
 * wire with and without gzip — the agent's snapshot rebuild, the agent's RSS holding the list, and how long a
 * change made on the hub takes to reach a synced agent's snapshot.
 *
 *   npx tsx bench/dno-sync.ts [millions]        (default 3: three imports of 1 million entries each)
 *
 * The agent is a real `hoptrace-agent` process (bench/dno-agent.ts; HOPTRACE_BENCH_DIST=1 runs the compiled one),
 * so its RSS is an agent's alone. Numbers are synthetic, distinct 10-digit NANP numbers.
 */
import '../config/fast-strings.js'; // first: restores fast string methods after ioredis loads
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { HubClient } from '../hub/client.js';
import { sign } from '../proto/envelope.js';
import { DNO_POLL_TYPE } from '../proto/dno-sync.js';
import { privateKeyToPem, publicKeyToRaw } from '../proto/keys.js';
import { startDnoHub } from '../test/helpers/dno-hub.js';
import { startRedis } from '../test/helpers/redis.js';
import { startBenchAgent } from './dno-agent.js';

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
    const agent = await runAgent({ hubUrl: hub.url, hubKey: publicKeyToRaw(hub.key.publicKey), keyFile, kid: agentKey.kid, siteRedis: siteRedis.url, version, opsToken: hub.tokens.ops, dir });
    const load = () => `load ${loadavg()[0]!.toFixed(1)}`;
    console.log(`agent process (${agent.runtime}): full sync of ${total.toLocaleString('en-US')} entries (gzip, into its Redis cache, then its snapshot): ${sec(agent.syncWallMs)} wall, ${sec(agent.syncCpuMs)} agent CPU (${load()})`);
    console.log(`agent snapshot rebuild from its Redis cache (its own log): ${agent.rebuildMs === null ? 'n/a' : sec(agent.rebuildMs)}`);
    console.log(`agent RSS: ${mb(agent.rssSynced)} once synced, ${mb(agent.rssIdle)} after 10 s idle, peak ${mb(agent.rssPeak)} (${load()}); ${agent.memory}`);
    console.log(`second instance of the site (follows the shared cache, does not sync): RSS ${mb(agent.followerRss)} 10 s after its snapshot (${load()}); ${agent.followerMemory}`);
    console.log(`add on the hub → the agent's snapshot (its /metrics version): ${agent.changeMs.map((m) => m.toFixed(0)).join(', ')} ms (${load()})`);
    await ops.close();
  } finally {
    await raw.quit();
    await hub.stop();
    await Promise.all([hubRedis.stop(), siteRedis.stop()]);
  }
}

interface AgentFigures {
  runtime: string;
  syncWallMs: number;
  syncCpuMs: number;
  rebuildMs: number | null;
  rssSynced: number;
  rssIdle: number;
  rssPeak: number;
  memory: string;
  /** The instance that does not sync, 10 s after its snapshot was built. */
  followerRss: number;
  followerMemory: string;
  changeMs: number[];
}

/**
 * A real agent process syncing into an empty site cache: time until its snapshot has the hub's version, its
 * RSS, then hub changes one at a time, each timed until the agent's /metrics shows the new version.
 */
async function runAgent(a: { hubUrl: string; hubKey: string; keyFile: string; kid: string; siteRedis: string; version: number; opsToken: string; dir: string }): Promise<AgentFigures> {
  const t0 = performance.now();
  const agent = await startBenchAgent(a.dir, {
    provider: 'bench-carrier',
    hub: { url: a.hubUrl, id: 'hub', publicKeys: [a.hubKey], pollWaitSec: 25 },
    keys: { privateKeyFile: a.keyFile, kid: a.kid },
    redis: { url: a.siteRedis },
  });
  try {
    while ((await agent.listVersion()) < a.version) await new Promise((r) => setTimeout(r, 100));
    const syncWallMs = performance.now() - t0;
    const syncCpuMs = agent.cpuMs();
    // The largest rebuild the agent logged (the one that took the whole list in).
    const rebuilds = agent.lines.filter((l) => l.includes('DNO snapshot rebuilt')).map((l) => JSON.parse(l) as { numbers: number; ms: number });
    const rebuildMs = rebuilds.length === 0 ? null : rebuilds.reduce((a, b) => (b.numbers > a.numbers ? b : a)).ms;
    const rssSynced = agent.rss();
    await new Promise((r) => setTimeout(r, 10_000));
    const rssIdle = agent.rss();
    const memory = await agent.memory();
    // A second instance of the site: it finds the list in the shared cache and only builds its snapshot.
    const followerDir = mkdtempSync(join(tmpdir(), 'hoptrace-bench-follower-'));
    const follower = await startBenchAgent(followerDir, {
      provider: 'bench-carrier',
      hub: { url: a.hubUrl, id: 'hub', publicKeys: [a.hubKey], pollWaitSec: 25 },
      keys: { privateKeyFile: a.keyFile, kid: a.kid },
      redis: { url: a.siteRedis },
    });
    while ((await follower.listVersion()) < a.version) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 10_000));
    const followerRss = follower.rss();
    const followerMemory = await follower.memory();
    await follower.stop();
    const ops = new HubClient(a.hubUrl, a.opsToken);
    const changeMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const { version } = await ops.dno().add([{ number: `+1202555${String(190 + i).padStart(4, '0')}`, category: 'listed' }]);
      while ((await agent.listVersion()) < version) await new Promise((r) => setTimeout(r, 5));
      changeMs.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 500));
    }
    await ops.close();
    return { runtime: agent.runtime, syncWallMs, syncCpuMs, rebuildMs, rssSynced, rssIdle, rssPeak: agent.peakRss(), memory, followerRss, followerMemory, changeMs };
  } finally {
    await agent.stop();
  }
}

await main();

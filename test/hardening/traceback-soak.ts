/**
 * Tracebacks through faults (issue 8): a hub and five carriers' agents, each its own process with its own
 * redis-server, chained p1 (terminating) ← p2 ← p3 ← p4 ← p5. Every call has a known fate, seeded in the
 * agents' call indexes: a third originate at p5 (5 hops), a third enter from abroad at p4 (foreign, 4 hops),
 * a third are unknown to p3 (not_found, 3 hops, p3 asked twice with the widened window). Tracebacks are started
 * in campaigns of `batch` through the hub API, at most `inFlight` open at once. A quarter of the way in, the
 * middle agent p3 is SIGKILLed for `agentDownSec` and started again; half way, the hub is SIGKILLed between two
 * batches and started again. The hop deadline × retries outlasts both outages, so every case must end with
 * exactly its expected outcome and path: read back from the hub's Redis, each started case exists once, ended,
 * each hop answered once, and no case ended twice in the hub's logs (either incarnation).
 *
 * Shared by bench/soak-traceback.ts (10,000 by default) and traceback-soak.test.ts (a CI-sized run).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { openCallIndex } from '../../agent/calls/open.js';
import type { CallRecord } from '../../agent/calls/record.js';
import type { Case, Outcome } from '../../hub/case.js';
import { HubClient } from '../../hub/client.js';
import { openHubStore } from '../../hub/store/open.js';
import { generateKeyPair, type KeyPair, privateKeyToPem, publicKeyToRaw } from '../../proto/keys.js';
import { runCli, type Proc } from '../helpers/proc.js';
import { freePort, type RedisServer, startRedis } from '../helpers/redis.js';
import { tokensFile } from './tokens-file.js';

export interface TracebackSoakOptions {
  tracebacks: number;
  /** Tracebacks per campaign request. */
  batch: number;
  /** Most cases open at once: the next batch waits below it. */
  inFlight: number;
  /** How long the middle agent stays dead, seconds. */
  agentDownSec: number;
  /** Per-hop deadline (s) and retries: together they must outlast the outages. */
  agentSec: number;
  agentRetries: number;
  /** Progress lines. */
  say: (line: string) => void;
}

export interface TracebackSoakResult {
  started: number;
  byOutcome: Record<string, number>;
  /** One line per case that is missing, duplicated, still open, or ended otherwise than expected. */
  mismatches: string[];
  /** Hops that needed more than one attempt (the outages' retries). */
  retriedHops: number;
  /** From the first start until every case ended. */
  seconds: number;
  /** CPU seconds used by the hub (both incarnations) and by the five agents (all incarnations). */
  cpu: { hub: number; agents: number };
}

const HOPS = 5;
const PROVIDERS = Array.from({ length: HOPS }, (_, i) => `soak-p${i + 1}`);
/** The agent killed mid-run: every kind of call passes it. */
const KILLED = 2;
const START_TIMEOUT_MS = 120_000;

/** What call n is seeded to become: its outcome and the providers asked, in order. */
export function fateOf(n: number): { outcome: Outcome; path: string[] } {
  if (n % 3 === 0) return { outcome: 'originated', path: PROVIDERS };
  if (n % 3 === 1) return { outcome: 'foreign', path: PROVIDERS.slice(0, 4) };
  return { outcome: 'not_found', path: PROVIDERS.slice(0, 3) };
}

/** Call n: its own called number (each lookup finds its call only), a second apart, within the last day. */
function callOf(n: number, t0: number) {
  return { calling: '+13125550117', called: `+1202${String(3_000_000 + n).padStart(7, '0')}`, at: new Date(t0 + n * 1000).toISOString() };
}

/** The leg agent `i` holds of call n (with the trunk group it came in on), or none when it never saw the call. */
function legOf(i: number, n: number, t0: number): CallRecord | undefined {
  const { outcome, path } = fateOf(n);
  if (i >= path.length || (outcome === 'not_found' && i === path.length - 1)) return undefined;
  const last = i === path.length - 1;
  const trunkGroup = !last ? `TG-${PROVIDERS[i + 1]}` : outcome === 'originated' ? 'CUST-7731' : 'INTL-GW';
  const c = callOf(n, t0);
  return { at: Date.parse(c.at), calling: c.calling, called: c.called, source: 'sip', ingress: { trunkGroup } };
}

function ingressOf(i: number): unknown[] {
  const upstream = PROVIDERS[i + 1];
  return [
    upstream ? { match: { trunkGroup: `TG-${upstream}` }, target: { upstream: { providerId: upstream, name: upstream.toUpperCase() } } } : { match: { trunkGroup: 'CUST-7731' }, target: { customer: { account: 'acct-7731' } } },
    { match: { trunkGroup: 'INTL-GW' }, target: { foreign: { name: 'International gateway' } } },
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds a live process used so far (Linux /proc; USER_HZ is 100 on every Linux node runs on), else 0. */
function cpuSeconds(p: Proc): number {
  try {
    const fields = readFileSync(`/proc/${p.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export async function runTracebackSoak(o: TracebackSoakOptions): Promise<TracebackSoakResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-soak-traceback-'));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text, { mode: 0o600 }), join(dir, name));
  const pem = (name: string, key: KeyPair) => file(`${name}.pem`, privateKeyToPem(key.privateKey));
  const t0 = Date.now() - (o.tracebacks + 3600) * 1000;
  const redises: RedisServer[] = [];
  const procs = new Set<Proc>();
  const hubLines: string[][] = [];
  const cpu = { hub: 0, agents: 0 };
  /** Kills a process, counting its CPU time first. */
  const stop = async (p: Proc, role: keyof typeof cpu, signal: NodeJS.Signals) => {
    cpu[role] += cpuSeconds(p);
    await p.kill(signal);
  };
  const run = (script: 'agent/cli.ts' | 'hub/cli.ts', args: string[]) => {
    const p = runCli(script, args);
    procs.add(p);
    p.child.once('exit', () => procs.delete(p));
    return p;
  };
  try {
    const [hubRedis, ...agentRedis] = await Promise.all(Array.from({ length: HOPS + 1 }, () => startRedis()));
    redises.push(hubRedis!, ...agentRedis);
    const keys = PROVIDERS.map(() => generateKeyPair());
    // Each carrier's own index holds its legs, as its SIP/CDR sources would have written them.
    await Promise.all(
      PROVIDERS.map(async (_, i) => {
        const index = openCallIndex({ redisUrl: agentRedis[i]!.url, retentionDays: 30, bucketSec: 3600 });
        const legs = Array.from({ length: o.tracebacks }, (_, n) => legOf(i, n, t0)).filter((l) => l !== undefined);
        for (let at = 0; at < legs.length; at += 5000) await index.add(legs.slice(at, at + 5000));
        await index.close();
      }),
    );

    const hubKey = generateKeyPair('hub-1');
    const port = await freePort();
    const hubUrl = `http://127.0.0.1:${port}`;
    const { file: tokens, tokens: token } = tokensFile({ soak: ['trace:write', 'trace:read'] });
    const providers = PROVIDERS.map((id, i) => ({ id, name: id.toUpperCase(), reach: 'agent-pull', keys: [{ kid: keys[i]!.kid, publicKey: publicKeyToRaw(keys[i]!.publicKey) }] }));
    const hubConfig = file(
      'hub.yaml',
      YAML.stringify({
        http: { listen: `127.0.0.1:${port}` },
        id: 'hub',
        keys: { privateKeyFile: pem('hub', hubKey), kid: hubKey.kid },
        redis: { url: hubRedis!.url },
        deadlines: { agentSec: o.agentSec, agentRetries: o.agentRetries },
        tokens: { file: tokens },
        providersFile: file('providers.yaml', YAML.stringify(providers)),
      }),
    );
    const startHub = async () => {
      const p = run('hub/cli.ts', ['serve', '--config', hubConfig]);
      hubLines.push(p.lines);
      await p.waitFor(/hub listening/, START_TIMEOUT_MS);
      return p;
    };
    const agentConfigs = PROVIDERS.map((id, i) =>
      file(
        `${id}.yaml`,
        YAML.stringify({
          provider: id,
          hub: { url: hubUrl, id: 'hub', publicKeys: [publicKeyToRaw(hubKey.publicKey)], pollWaitSec: 5 },
          keys: { privateKeyFile: pem(id, keys[i]!), kid: keys[i]!.kid },
          redis: { url: agentRedis[i]!.url },
          http: { listen: '127.0.0.1:0' },
          ingress: { map: ingressOf(i) },
        }),
      ),
    );
    const startAgent = async (i: number) => {
      const p = run('agent/cli.ts', ['--config', agentConfigs[i]!]);
      await p.waitFor(/polling the hub/, START_TIMEOUT_MS);
      return p;
    };

    let hub = await startHub();
    const agents = await Promise.all(PROVIDERS.map((_, i) => startAgent(i)));
    const store = openHubStore({ redisUrl: hubRedis!.url });
    const api = new HubClient(hubUrl, token.soak);
    const ids: string[] = [];
    const batches = Math.ceil(o.tracebacks / o.batch);
    const agentKillAt = Math.floor(batches / 4);
    const hubKillAt = Math.max(agentKillAt + 1, Math.floor(batches / 2));
    let agentOutage: Promise<void> | undefined;
    const startedAt = performance.now();
    const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
    const open = async () => (await store.openCaseIds()).length;
    try {
      for (let b = 0; b < batches; b++) {
        while ((await open()) + o.batch > o.inFlight) await sleep(250);
        if (b === agentKillAt) {
          agentOutage = (async () => {
            o.say(`  ${elapsed()}: SIGKILL agent ${PROVIDERS[KILLED]} after ${ids.length} started, ${await open()} open; down ${o.agentDownSec} s`);
            await stop(agents[KILLED]!, 'agents', 'SIGKILL');
            await sleep(o.agentDownSec * 1000);
            agents[KILLED] = await startAgent(KILLED);
            o.say(`  ${elapsed()}: agent ${PROVIDERS[KILLED]} polling again`);
          })();
          // Awaited after the last batch; until then a failed restart must not crash the run unhandled.
          agentOutage.catch(() => undefined);
        }
        if (b === hubKillAt) {
          o.say(`  ${elapsed()}: SIGKILL hub after ${ids.length} started, ${await open()} open`);
          await stop(hub, 'hub', 'SIGKILL');
          hub = await startHub();
          o.say(`  ${elapsed()}: hub listening again, ${await open()} open`);
        }
        const first = b * o.batch;
        const calls = Array.from({ length: Math.min(o.batch, o.tracebacks - first) }, (_, k) => ({ call: callOf(first + k, t0), firstProvider: PROVIDERS[0] }));
        const started = await api.startCampaign(`soak-${b}`, calls);
        ids.push(...started.tracebacks.map((t) => t.id));
      }
      await agentOutage;
      o.say(`  ${elapsed()}: all ${ids.length} started; waiting for every case to end`);
      const endBy = Date.now() + o.agentSec * 1000 * (o.agentRetries + 1) * HOPS * 2 + 60_000;
      while ((await open()) > 0 && Date.now() < endBy) await sleep(500);
      const seconds = (performance.now() - startedAt) / 1000;
      // The log lines are written in batches: give the last ones a moment before counting "traceback ended".
      await sleep(2000);
      cpu.hub += cpuSeconds(hub);
      cpu.agents += agents.reduce((sum, a) => sum + cpuSeconds(a), 0);
      return { ...check(ids, await store.listCases(), hubLines.flat()), seconds, started: ids.length, cpu };
    } finally {
      await api.close();
      await store.close();
    }
  } finally {
    await Promise.all([...procs].map((p) => p.kill()));
    await Promise.all(redises.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every started id listed once and ended as seeded, each hop answered once, no case ended twice in the logs. */
export function check(ids: string[], cases: Case[], hubLines: string[]): Pick<TracebackSoakResult, 'byOutcome' | 'mismatches' | 'retriedHops'> {
  const mismatches: string[] = [];
  const byOutcome: Record<string, number> = {};
  const nth = new Map(ids.map((id, n) => [id, n]));
  if (nth.size !== ids.length) mismatches.push(`${ids.length - nth.size} case ids were handed out twice by the API`);
  const listed = new Map<string, number>();
  for (const c of cases) listed.set(c.id, (listed.get(c.id) ?? 0) + 1);
  const ended = new Map<string, number>();
  for (const line of hubLines) {
    if (!line.includes('"traceback ended"')) continue;
    // A line cut where two pipe reads meet does not parse: it can hide an end, never invent a second one.
    const id = parsed(line)?.caseId;
    if (typeof id === 'string') ended.set(id, (ended.get(id) ?? 0) + 1);
  }
  let retriedHops = 0;
  for (const c of cases) {
    const n = nth.get(c.id);
    if (n === undefined) {
      mismatches.push(`${c.id}: a case nobody started (${c.status})`);
      continue;
    }
    byOutcome[c.status] = (byOutcome[c.status] ?? 0) + 1;
    const want = fateOf(n);
    const path = c.hops.map((h) => h.provider);
    const wrong = [
      c.status === 'open' && 'still open',
      c.status !== 'open' && c.status !== want.outcome && `ended ${c.status} (${c.detail ?? ''}), expected ${want.outcome}`,
      path.join('>') !== want.path.join('>') && `hops ${path.join('>')}, expected ${want.path.join('>')}`,
      c.hops.some((h) => h.state !== 'answered' || !h.answerJws) && `a hop not answered: ${c.hops.map((h) => h.state).join(',')}`,
      (listed.get(c.id) ?? 0) > 1 && `listed ${listed.get(c.id)} times`,
      (ended.get(c.id) ?? 0) > 1 && `ended ${ended.get(c.id)} times in the hub logs`,
    ].filter(Boolean);
    if (wrong.length) mismatches.push(`${c.id} (call ${n}): ${wrong.join('; ')}`);
    retriedHops += c.hops.filter((h) => h.attempts.length > (want.outcome === 'not_found' && h === c.hops.at(-1) ? 2 : 1)).length;
  }
  for (const id of ids) if (!listed.has(id)) mismatches.push(`${id} (call ${nth.get(id)}): started but not in the hub store`);
  return { byOutcome, mismatches, retriedHops };
}

function parsed(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

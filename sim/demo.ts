/**
 * `npm run demo`: the whole system on one machine. A hub and five carriers' agents start in this process
 * (embedded store, real loopback sockets); the robocall campaign is placed through the carriers' policy
 * servers over UDP and their switches' CDR files; DNO-listed and invalid callers are blocked; every delivered
 * call is traced back to its originator or point of entry and printed as a chain. Then the hub UI stays up
 * until Ctrl-C (`--once`: exit after the scripted part). Exits 1 when an outcome is not what it must be.
 */
import '../config/fast-strings.js'; // first: restores fast string methods after ioredis loads
import { parseArgs } from 'node:util';
import { createLogger } from '../config/log.js';
import type { Case } from '../hub/case.js';
import { startAgency } from './agency.js';
import { campaignCalls, phantomCall } from './calls.js';
import { type RunningNetwork, startNetwork } from './carriers.js';
import { formatChain } from './chain.js';
import { placementProblems, type Traced, tracebackProblems } from './expect.js';
import { blockCounts } from './metrics.js';
import { demoNetwork, type Network } from './network.js';
import { type PlacedCall, placeCalls, waitUntilIndexed } from './place.js';

const CAMPAIGN = 'warranty-robocalls';
/** The scripted part must finish within this (issue 7: under a minute). */
const SCRIPT_BUDGET_MS = 55_000;

const { values } = parseArgs({ options: { once: { type: 'boolean', default: false }, port: { type: 'string', default: '0' } } });
const out = (s = '') => process.stdout.write(`${s}\n`);
const log = createLogger('hoptrace-demo', process.env.HOPTRACE_LOG_LEVEL ?? 'warn', process.stderr);

async function main(): Promise<number> {
  const started = Date.now();
  const network = demoNetwork();
  out('hoptrace demo: a hub and five carriers on this machine (embedded store, loopback sockets only)');
  const net = await startNetwork({ network, log, hubPort: Number(values.port) });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await net.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  const watchdog = setTimeout(() => {
    out(`\nFAILED: the scripted part took longer than ${SCRIPT_BUDGET_MS / 1000} s`);
    void stop(1);
  }, SCRIPT_BUDGET_MS);

  try {
    printNetwork(net);
    await printDnoLists(net);
    const plan = campaignCalls();
    out(`\nPlacing the ${plan.length} calls of campaign "${CAMPAIGN}" (policy servers over UDP, CDR lines into the switches' files)`);
    const placed = await placeCalls(net, plan);
    for (const pc of placed) out(placementLine(pc));
    await printBlocking(net);

    const indexing = Date.now();
    await waitUntilIndexed(net, placed);
    out(`\nEvery carrier has indexed its calls (${Date.now() - indexing} ms after the last call).`);

    const delivered = placed.filter((pc) => pc.deliveredAt !== undefined);
    out(`\nTracing the ${delivered.length} delivered calls, and one complaint about a call nobody carried, from ${terminating(network)}`);
    const agency = await startAgency(net, CAMPAIGN);
    const traced = await traceCampaign(net, delivered);
    for (const t of traced) out(`\n${formatChain(t.case, t.placed ? `call ${String(t.placed.call.n).padStart(2)}` : 'phantom')}`);
    out(`\n${summary(traced)}`);
    const referrals = await agency.collect(traced.length);
    out(`\n${referrals.lines}`);

    const problems = [...placementProblems(placed, network), ...tracebackProblems(traced, network), ...referrals.problems];
    clearTimeout(watchdog);
    if (problems.length) {
      out(`\nFAILED: ${problems.length} outcome(s) not as expected:`);
      for (const p of problems) out(`  - ${p}`);
      await stop(1);
      return 1;
    }
    out(`\nAll outcomes as expected; the scripted part took ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    const ui = `${net.hub.url}/ui/#token=${net.token}`;
    if (values.once) {
      await stop(0);
      return 0;
    }
    out(`\nHub UI: ${ui}\n(admin token ${net.token}; Ctrl-C stops the demo)`);
    return -1;
  } catch (err) {
    clearTimeout(watchdog);
    out(`\nFAILED: ${(err as Error).message}`);
    await stop(2);
    return 2;
  }
}

function printNetwork(net: RunningNetwork): void {
  out('\nThe network (the call travels left to right):');
  for (const r of Object.values(net.network.routes)) out(`  ${r.name}`);
  out('');
  for (const p of net.network.providers) {
    const how: string[] = [];
    const sip = net.policyServers.get(p.id);
    if (sip) how.push(`SIP policy server udp:${sip.host}:${sip.port}`);
    if (p.cdr) how.push(`${p.cdr.format} CDRs (clock in ${p.cdr.zone}, ${p.cdr.skewMs >= 0 ? '+' : '−'}${Math.abs(p.cdr.skewMs) / 1000} s off)`);
    out(`  ${p.id.padEnd(11)} ${p.name.padEnd(20)} ${p.role.padEnd(12)} ${how.join(' + ')}`);
  }
  out(`\nHub ${net.hub.url}, agents long-polling it for hop queries and DNO list changes.`);
}

async function printDnoLists(net: RunningNetwork): Promise<void> {
  const s = await net.client.dno().summary();
  const counts = Object.entries(s.counts).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n}`).join(', ');
  out(`\nDNO: the hub's list (version ${s.version}: ${s.total} entries, ${counts}) is synced to every agent.`);
  for (const [id, text] of Object.entries(net.network.localDno)) {
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    out(`  ${id} adds its own list: ${lines.join('; ')}`);
  }
}

function placementLine(pc: PlacedCall): string {
  const { n, route, calling, called } = pc.call;
  const head = `  call ${String(n).padStart(2)}  ${route.padEnd(8)}  ${calling} → ${called}  `;
  if (pc.blockedBy) return `${head}BLOCKED by ${pc.blockedBy.provider}: ${pc.blockedBy.status}  Reason: ${pc.blockedBy.reason ?? '(none)'}`;
  const last = pc.decisions.at(-1);
  return `${head}delivered${last ? ` (${last.provider} answered ${last.status} in ${last.tookMs} ms)` : ''}`;
}

async function printBlocking(net: RunningNetwork): Promise<void> {
  out('\nDNO blocking, from the agents\' /metrics (hoptrace_sip_invites_total):');
  for (const [id, agent] of net.agents) {
    if (!net.policyServers.has(id)) continue;
    const c = await blockCounts(agent.httpPort);
    const by = Object.entries(c.blockedBy).map(([k, v]) => `${k} ${v}`).join(', ');
    out(`  ${id.padEnd(11)} ${c.invites} INVITE(s): ${c.blocked} blocked${by ? ` (${by})` : ''}, ${c.invites - c.blocked} continued`);
  }
}

async function traceCampaign(net: RunningNetwork, delivered: readonly PlacedCall[]): Promise<Traced[]> {
  const first = terminating(net.network);
  const calls = delivered.map((pc) => ({ call: { calling: pc.call.calling, called: pc.call.called, at: new Date(pc.deliveredAt!).toISOString() }, firstProvider: first }));
  calls.push({ call: phantomCall(Date.now()), firstProvider: first });
  const started = await net.client.startCampaign(CAMPAIGN, calls);
  const ended: Case[] = await Promise.all(started.tracebacks.map((t) => net.client.waitForEnd(t.id, 30_000, 50)));
  return ended.map((c, i) => ({ ...(delivered[i] && { placed: delivered[i] }), case: c }));
}

function terminating(network: Network): string {
  return network.providers.find((p) => p.role === 'terminating')!.id;
}

function summary(traced: readonly Traced[]): string {
  const by = new Map<string, number>();
  for (const { case: c } of traced) {
    const key = c.status === 'originated' ? `originated at ${c.originator}` : c.status === 'foreign' ? `entered the country at ${c.pointOfEntry}` : c.status.replace('_', ' ');
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  const ms = traced.map((t) => (t.case.endedAt ?? Date.now()) - t.case.createdAt).sort((a, b) => a - b);
  const p50 = ms[Math.floor((ms.length - 1) / 2)] ?? 0;
  return `Campaign "${CAMPAIGN}": ${traced.length} tracebacks: ${[...by].map(([k, v]) => `${v} ${k}`).join(', ')}; median ${p50} ms from start to outcome, slowest ${ms.at(-1) ?? 0} ms.`;
}

const code = await main();
if (code >= 0) process.exitCode = code;

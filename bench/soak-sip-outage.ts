/**
 * Soak: the policy server under sipp while its Redis is killed and restarted (issue 8). The real agent
 * (`hoptrace-agent --sip udp:… --redis … --dno-file …`) answers sipp's INVITEs (10% listed callers) for
 * SECONDS; Redis is killed -9 after a third of the run and restarted after two thirds. Expected: no failed
 * call (decisions continue from the in-process DNO snapshot), the agent never exits, recording into the call
 * index resumes after Redis returns, and the agent's RSS stays flat.
 *
 *   npx tsx bench/soak-sip-outage.ts      SOAK_SIP_RATE=2000 SOAK_SIP_SECONDS=30 (the issue's target: 10000 and 60)
 *                                         SOAK_SIP_OUTAGE=0: the same run with Redis left up (the RSS baseline)
 *
 * Prints sipp's counts, calls recorded before / during / after the outage and dropped (the recorder's queue
 * is bounded: calls seen while Redis is away beyond it are counted as dropped, never held without limit),
 * the recorder's queue and the calls recorded every 5 s, agent RSS samples, agent CPU time, and the load
 * average. Exits 1 on a failed call or an agent that exited.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSipp } from '../test/agent/sip/sipp-runner.js';
import { startRedis } from '../test/helpers/redis.js';
import { type AgentProcess, startAgentProcess } from './lib/agent-process.js';
import { freeUdpPort } from '../test/helpers/udp-port.js';

const RATE = Number(process.env.SOAK_SIP_RATE ?? 2_000);
const SECONDS = Number(process.env.SOAK_SIP_SECONDS ?? 30);
const OUTAGE = process.env.SOAK_SIP_OUTAGE !== '0';
const CALLED = '+13125550117';
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 1,000 listed callers and 9,000 clean ones (NPA 312, exchanges 600–999 of the NANP rules). */
function callers(): { list: string[]; calls: string[] } {
  const list = Array.from({ length: 1_000 }, (_, i) => `+1202555${String(1000 + i).padStart(4, '0')}`);
  const calls = Array.from({ length: 10_000 }, (_, i) => `${i % 10 === 0 ? list[(i / 10) % list.length] : `+1312${600 + (i % 300)}${String(i % 10_000).padStart(4, '0')}`};${CALLED}`);
  return { list, calls };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-soak-sip-'));
  const redis = await startRedis();
  let agent: AgentProcess | undefined;
  try {
    const { list, calls } = callers();
    const listFile = join(dir, 'dno.txt');
    writeFileSync(listFile, list.join('\n') + '\n');
    const port = await freeUdpPort();
    agent = await startAgentProcess({
      args: ['--provider', 'soak', '--sip', `udp:127.0.0.1:${port}`, '--dno-file', listFile, '--redis', redis.url],
      ready: (line) => /"msg":"agent started"/.test(line),
      timeoutMs: 60_000,
    });
    const a = agent;
    let exited: number | null | undefined;
    a.child.once('exit', (code) => (exited = code));
    const outage = OUTAGE ? `Redis killed at ${Math.round(SECONDS / 3)} s, back at ${Math.round((2 * SECONDS) / 3)} s` : 'Redis up throughout';
    console.log(`policy server soak: sipp ${RATE} calls/s for ${SECONDS} s; ${outage}; load ${load()}`);
    const cpu0 = a.cpuSeconds();
    const rss: number[] = [];
    const heap: number[] = [];
    const queue: number[] = [];
    const recordedAt: number[] = [];
    const recorded: Record<string, number> = {};
    const sipp = runSipp({ port, transport: 'udp', calls, total: RATE * SECONDS, rate: RATE, timeoutSec: SECONDS * 3 + 30 });
    const script = (async () => {
      for (let s = 1; s <= SECONDS; s++) {
        await sleep(1000);
        if (exited !== undefined) return;
        rss.push(a.rssMb());
        heap.push((await a.metric('nodejs_heap_size_used_bytes')) / 2 ** 20);
        queue.push(await a.metric('hoptrace_sip_record_queue'));
        recordedAt.push(await a.metric('hoptrace_sip_calls_recorded_total'));
        if (s === Math.round(SECONDS / 3)) {
          recorded.before = await a.metric('hoptrace_sip_calls_recorded_total');
          if (OUTAGE) await redis.kill();
        }
        if (s === Math.round((2 * SECONDS) / 3)) {
          recorded.down = (await a.metric('hoptrace_sip_calls_recorded_total')) - recorded.before!;
          if (OUTAGE) await redis.restart();
        }
      }
    })();
    const [r] = await Promise.all([sipp, script]);
    await sleep(3_000); // the recorder's retry brings the queued calls in
    const alive = exited === undefined;
    const total = alive ? await a.metric('hoptrace_sip_calls_recorded_total') : NaN;
    const dropped = alive ? await a.metric('hoptrace_sip_calls_dropped_total') : NaN;
    const after = total - recorded.before! - recorded.down!;
    console.log(`  sipp: ${r.invites} calls, ${r.failed} failed, ${r.retransmissions} retransmissions, exit ${r.exitCode}; answers ${JSON.stringify(r.received)}`);
    console.log(`  recorded into the call index: ${recorded.before} in the first third, ${recorded.down} in the second (Redis ${OUTAGE ? 'down' : 'up'}), ${after} after; ${dropped} dropped; agent ${alive ? 'alive' : `exited ${exited}`}`);
    console.log(`  agent RSS MB per second: ${rss.map((m) => m.toFixed(0)).join(' ')}`);
    // The lowest heap of each 5 s is close to what survives a GC: a leak shows as a rising floor.
    const floors = Array.from({ length: Math.ceil(heap.length / 5) }, (_, i) => Math.min(...heap.slice(i * 5, i * 5 + 5)));
    console.log(`  agent V8 heap used, lowest per 5 s, MB: ${floors.map((m) => m.toFixed(0)).join(' ')}`);
    const every5 = (xs: number[]) => xs.filter((_, i) => i % 5 === 4).map((n) => (n / 1000).toFixed(0)).join(' ');
    console.log(`  recorder queue, thousands, every 5 s: ${every5(queue)}; recorded so far, thousands: ${every5(recordedAt)}`);
    console.log(`  agent CPU ${(a.cpuSeconds() - cpu0).toFixed(1)} s over the run; load ${load()}`);
    const ok = alive && r.exitCode === 0 && r.failed === 0 && r.invites === RATE * SECONDS && after > 0;
    console.log(ok ? 'OK: no failed call, recording resumed' : 'FAIL');
    return ok ? 0 : 1;
  } finally {
    agent?.child.kill('SIGTERM');
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(await main());

/**
 * The SIP policy server under sipp (DESIGN §7: ≥ 10,000 INVITE/s with no failed calls and no retransmissions;
 * p99 ≤ 5 ms at 5,000/s), against the real agent (`hoptrace-agent --provider … --sip udp:… --dno-file …`, no
 * hub, embedded store) with 3 million listed numbers.
 *
 *   npx tsx bench/sip-policy.ts [--rates 2000,4000,…] [--seconds 10] [--numbers 3000000]
 *
 * 1. Rising rates, each for --seconds: achieved calls, failed calls, INVITE retransmissions, the agent's CPU
 *    (cores, and CPU time per call: INVITE + ACK in, answer out) and RSS; the highest clean rate is the highest with 0 failed and 0 retransmitted. Stops after the first
 *    rate that is not clean.
 * 2. 5,000 calls/s with -trace_rtt: p50/p99 of the response time sipp saw (1 ms resolution), and the
 *    server's own response-time histogram from /metrics.
 * 3. In process, no sockets: the responder's CPU cost per INVITE with the same list.
 * 4. In process with the answer sent over loopback UDP: the same plus the send (kernel time included).
 * With --numbers below 3,000,000 the agent starts in seconds (the local 3 M list loads slowly while it is kept as
 * objects): the decision's cost hardly depends on the list size, the start-up and RSS do.
 * Callers: 10% listed numbers (603), the rest clean (302). sipp runs on the same 2 cores: the figures include
 * its cost. The machine may be shared: load averages are printed with every step.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { buildSnapshot } from '../agent/dno/snapshot.js';
import { readListFile } from '../agent/dno/listfile.js';
import { policyContext } from '../agent/sip/policy.js';
import { answerSip } from '../agent/sip/responder.js';
import { runSipp, type SippResult } from '../test/agent/sip/sipp-runner.js';
import { type AgentProcess, startAgentProcess } from './lib/agent-process.js';
import { freeUdpPort } from '../test/helpers/udp-port.js';
import { prng as rng } from '../test/helpers/prng.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const RATES = arg('rates', '1000,2000,4000,6000,8000,10000,12000,14000,16000').split(',').map(Number);
const SECONDS = Number(arg('seconds', '10'));
const NUMBERS = Number(arg('numbers', '3000000'));
const RTT_RATE = 5_000;
const CALLERS = 10_000;
const CALLED = '+13125550117';

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');


/**
 * The i-th listed number, all distinct: i is spread over the 800 × 400 × 10,000 numbers with an NPA 200–999
 * and an exchange 200–599 by a multiplier prime to their count. Clean callers use exchanges 600–999.
 */
function listedNumber(i: number): string {
  const x = (i * 1_000_003) % 3_200_000_000;
  const npa = 200 + (x % 800);
  const nxx = 200 + (Math.floor(x / 800) % 400);
  return `+1${npa}${nxx}${String(Math.floor(x / 320_000)).padStart(4, '0')}`;
}

/** A structurally valid caller that is on no list: NPA not N9X or N11, exchange 600–999 and not N11. */
function cleanNumber(next: () => number): string {
  const pick = (from: number, span: number, ok: (n: number) => boolean): number => {
    for (;;) {
      const n = from + Math.floor(next() * span);
      if (ok(n)) return n;
    }
  };
  const npa = pick(200, 800, (n) => Math.floor(n / 10) % 10 !== 9 && n % 100 !== 11);
  const nxx = pick(600, 400, (n) => n % 100 !== 11);
  return `+1${npa}${nxx}${String(Math.floor(next() * 10_000)).padStart(4, '0')}`;
}

async function writeList(path: string): Promise<string[]> {
  const out = createWriteStream(path);
  const sample: string[] = [];
  let chunk = '';
  for (let i = 0; i < NUMBERS; i++) {
    const n = listedNumber(i);
    if (i % 997 === 0 && sample.length < CALLERS / 10) sample.push(n);
    chunk += `${n}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return sample;
}

function callers(listed: readonly string[]): string[] {
  const next = rng(11);
  return Array.from({ length: CALLERS }, (_, i) => `${i % 10 === 0 ? listed[(i / 10) % listed.length] : cleanNumber(next)};${CALLED}`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** p50/p99 of the server's response-time histogram (bucket upper bounds, ms). */
async function serverQuantiles(httpPort: number): Promise<{ count: number; p50: number; p99: number }> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const buckets = [...text.matchAll(/^hoptrace_sip_response_seconds_bucket\{le="([^"]+)"\} ([0-9.e+]+)$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
  const count = buckets.at(-1)?.[1] ?? 0;
  const at = (p: number) => (buckets.find(([, c]) => c >= (count * p) / 100)?.[0] ?? NaN) * 1000;
  return { count, p50: at(50), p99: at(99) };
}

function row(rate: number, r: SippResult, cpu: number, seconds: number, rss: number): string {
  return [
    String(rate).padStart(6),
    String(r.invites).padStart(8),
    String(r.failed).padStart(7),
    String(r.retransmissions).padStart(8),
    (cpu / seconds).toFixed(2).padStart(10),
    ((cpu / Math.max(r.invites, 1)) * 1e6).toFixed(0).padStart(8),
    rss.toFixed(0).padStart(7),
    `  ${load()}`,
  ].join(' ');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-bench-sip-'));
  let agent: AgentProcess | undefined;
  try {
    console.log(`SIP policy server bench: ${NUMBERS.toLocaleString('en-US')} listed numbers; load average ${load()}`);
    const listFile = join(dir, 'dno.txt');
    const listed = await writeList(listFile);
    const calls = callers(listed);
    const port = await freeUdpPort();
    const t0 = Date.now();
    agent = await startAgentProcess({
      args: ['--provider', 'bench', '--sip', `udp:127.0.0.1:${port}`, '--dno-file', listFile],
      ready: (line) => /DNO snapshot/.test(line) && new RegExp(`"numbers":${NUMBERS}\\b`).test(line),
      timeoutMs: 120_000,
      // Errors and anything that is not a log line (a crash's stack) are shown; the rest is the agent's chatter.
      onLine: (line) => {
        if (!line.startsWith('{') || /"level":(50|60)/.test(line)) process.stderr.write(`${line}\n`);
      },
    });
    console.log(`agent up with the list in ${((Date.now() - t0) / 1000).toFixed(1)} s, RSS ${agent.rssMb().toFixed(0)} MB`);

    console.log(`\n1. rising rates, ${SECONDS} s each (sipp over UDP, 10% listed callers)`);
    console.log('  rate    calls  failed  retrans  agent-cpu  µs/call  rss-MB  load-avg');
    let cleanest = 0;
    for (const rate of RATES) {
      const cpu0 = agent.cpuSeconds();
      const began = Date.now();
      const r = await runSipp({ port, transport: 'udp', calls, total: rate * SECONDS, rate, timeoutSec: SECONDS * 3 + 30 });
      const took = (Date.now() - began) / 1000;
      console.log(row(rate, r, agent.cpuSeconds() - cpu0, took, agent.rssMb()));
      const clean = r.exitCode === 0 && r.failed === 0 && r.retransmissions === 0 && r.invites === rate * SECONDS;
      if (!clean) break;
      cleanest = rate;
    }
    console.log(`highest clean rate: ${cleanest ? `${cleanest} calls/s` : 'none'}`);

    console.log(`\n2. response time at ${RTT_RATE} calls/s for ${SECONDS} s`);
    const before = await serverQuantiles(agent.httpPort);
    const r = await runSipp({ port, transport: 'udp', calls, total: RTT_RATE * SECONDS, rate: RTT_RATE, timeoutSec: SECONDS * 3 + 30, rtt: true });
    const rtts = [...r.rttMs].sort((a, b) => a - b);
    const after = await serverQuantiles(agent.httpPort);
    console.log(`sipp: ${r.invites} calls, ${r.failed} failed, ${r.retransmissions} retransmissions; RTT p50 ${percentile(rtts, 50)} ms, p99 ${percentile(rtts, 99)} ms, max ${rtts.at(-1)} ms (${rtts.length} samples, 1 ms resolution)`);
    console.log(`server histogram since start (${after.count - before.count} answers in this run): p50 ≤ ${after.p50} ms, p99 ≤ ${after.p99} ms; load average ${load()}`);
    agent.child.kill('SIGTERM');
    await once(agent.child, 'exit');
    agent = undefined;

    console.log('\n3. in process: the responder alone (parse → DNO → 302/603 bytes), same list');
    const snapshot = buildSnapshot(await readListFile(listFile), { version: 1 });
    const ctx = policyContext(
      { continueMode: '302', block: { code: 603, reasonText: 'Call Rejected' }, callingFrom: 'pai' },
      { snapshot, actions: { listed: 'block', invalid: 'block', unallocated: 'block', unassigned: 'block' }, emergency: [] },
      'sip',
    );
    const invites = calls.slice(0, 1_000).map((line, i) => {
      const [calling] = line.split(';');
      return Buffer.from(
        [
          `INVITE sip:${CALLED}@127.0.0.1:5060;user=phone SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-${i}`,
          `From: <sip:${calling}@127.0.0.1;user=phone>;tag=${i}`,
          `To: <sip:${CALLED}@127.0.0.1;user=phone>`,
          `P-Asserted-Identity: <sip:${calling}@127.0.0.1;user=phone>`,
          `Call-ID: ${i}-bench@127.0.0.1`,
          'CSeq: 1 INVITE',
          `Contact: <sip:${calling}@127.0.0.1:5061>`,
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        'latin1',
      );
    });
    const src = { address: '127.0.0.1', port: 5061, at: Date.now() };
    const rounds: number[] = [];
    for (let round = 0; round < 5; round++) {
      const start = process.cpuUsage();
      const n = 200_000;
      for (let i = 0; i < n; i++) answerSip(invites[i % invites.length]!, src, 'udp', ctx);
      const used = process.cpuUsage(start);
      rounds.push(((used.user + used.system) * 1000) / n);
    }
    rounds.sort((a, b) => a - b);
    console.log(`${(rounds[2]! / 1000).toFixed(2)} µs CPU per INVITE (median of 5 × 200,000), ≈ ${Math.round(1e9 / rounds[2]!).toLocaleString('en-US')} INVITE/s per core; load average ${load()}`);

    console.log('\n4. in process: the responder plus the UDP send of each answer to a loopback socket (kernel time included)');
    // The receiving end is another process, as the SBC is: its reads are not this process's CPU time.
    const sink = spawn(process.execPath, ['-e', "const s=require('dgram').createSocket('udp4');s.on('message',()=>{});s.bind(0,'127.0.0.1',()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [portLine] = (await once(sink.stdout!, 'data')) as [Buffer];
    const sinkPort = Number(portLine.toString('latin1').trim());
    // An IP literal needs no resolver: answering the lookup synchronously sends at once, as the agent's socket does.
    const out = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20, lookup: ((host: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, host, 4)) as never });
    await new Promise<void>((r) => out.bind(0, '127.0.0.1', r));
    const sent: number[] = [];
    for (let round = 0; round < 5; round++) {
      const start = process.cpuUsage();
      const n = 50_000;
      for (let i = 0; i < n; i++) {
        const answer = answerSip(invites[i % invites.length]!, src, 'udp', ctx);
        out.send(answer.response!, sinkPort, '127.0.0.1');
        if (i % 1_000 === 999) await new Promise((r) => setImmediate(r));
      }
      const used = process.cpuUsage(start);
      sent.push(((used.user + used.system) * 1000) / n);
    }
    sent.sort((a, b) => a - b);
    sink.kill();
    out.close();
    console.log(`${(sent[2]! / 1000).toFixed(2)} µs CPU per INVITE answered and sent (median of 5 × 50,000); load average ${load()}`);
  } finally {
    agent?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * The cost of the policy server's per-block log line (agent/sip/policy-server.ts logs every DNO block): one
 * synchronous write per line, as pino writes to stdout by default, against the buffered asynchronous
 * destination of config/log.ts. Lines go into a pipe (a FIFO drained by `cat`), as an agent's stdout goes to
 * its log collector: one write(2) per line, waking the reader each time, against one per ≈ 4 KiB. Prints the
 * main loop's wall time per line (what the answer path waits for) and the process's CPU time per line
 * (writes on libuv's thread pool included).
 *
 *   npx tsx bench/sip-log.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { bufferedDestination, createLogger, flushLog } from '../config/log.js';

const LINES = 100_000;
const RUNS = 5;
const dir = mkdtempSync(join(tmpdir(), 'hoptrace-sip-log-'));
const fifo = join(dir, 'stdout');
execFileSync('mkfifo', [fifo]);
const collector = spawn('cat', [fifo], { stdio: ['ignore', 'ignore', 'inherit'] });

/** The fields of a DNO block line, as the policy server logs them. */
const block = (i: number) => ({
  action: 'block',
  category: 'listed',
  rule: 'listed',
  listVersion: 42,
  calling: `+1202555${String(i % 10_000).padStart(4, '0')}`,
  called: '+13125550117',
  callId: `${i.toString(16)}-c0ffee@198.51.100.7`,
  from: '203.0.113.5:5060',
  status: 603,
});

async function run(kind: 'sync' | 'buffered'): Promise<{ wallUs: number; cpuUs: number }> {
  const dest = kind === 'sync' ? pino.destination({ dest: fifo, sync: true }) : bufferedDestination(fifo);
  await new Promise((r) => dest.once('ready', r));
  const log = createLogger('bench', 'info', dest);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) log.info(block(i), 'DNO block');
  const wallNs = Number(process.hrtime.bigint() - t0);
  await flushLog(log);
  const cpu = process.cpuUsage(cpu0);
  return { wallUs: wallNs / 1000 / LINES, cpuUs: (cpu.user + cpu.system) / LINES };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
console.log(`${LINES.toLocaleString('en-US')} DNO block lines per run, median of ${RUNS} (Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)})`);
await run('sync');
await run('buffered');
const results = { sync: [] as { wallUs: number; cpuUs: number }[], buffered: [] as { wallUs: number; cpuUs: number }[] };
for (let n = 0; n < RUNS; n++) for (const kind of ['sync', 'buffered'] as const) results[kind].push(await run(kind));
for (const kind of ['sync', 'buffered'] as const) {
  const wall = median(results[kind].map((r) => r.wallUs));
  const cpu = median(results[kind].map((r) => r.cpuUs));
  console.log(`${kind.padEnd(9)} ${wall.toFixed(2).padStart(6)} µs per line on the logging thread   ${cpu.toFixed(2).padStart(6)} µs CPU per line (process)`);
}
console.log(`load average at the end ${loadavg()[0]?.toFixed(1)}`);
collector.kill();
rmSync(dir, { recursive: true, force: true });

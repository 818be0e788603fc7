/**
 * The real agent (`agent/cli.ts` under tsx) as a child process for benchmarks: started on a loopback HTTP port it
 * picks, watched through its JSON log, and measured from outside (/proc) so the figures include everything it does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
/** Log lines kept for an error message and for the caller: enough to see a failure, bounded for a long soak. */
const KEEP_LINES = 5_000;

export interface AgentProcessOptions {
  /** The agent's arguments; `--http 127.0.0.1:0` is added. */
  args: readonly string[];
  /** Ready once the HTTP port is logged and some line has passed this. */
  ready(line: string): boolean;
  timeoutMs: number;
  /** Every log line (stdout and stderr), before and after ready. */
  onLine?(line: string): void;
}

export interface AgentProcess {
  child: ChildProcess;
  httpPort: number;
  /** The first log lines (up to 5,000). */
  lines: string[];
  /** User + system CPU time so far. */
  cpuSeconds(): number;
  rssMb(): number;
  /** A /metrics value summed over its label sets. */
  metric(name: string): Promise<number>;
}

export async function startAgentProcess(o: AgentProcessOptions): Promise<AgentProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'agent/cli.ts'), ...o.args, '--http', '127.0.0.1:0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const tail = () => lines.slice(-10).join('\n');
  let httpPort = 0;
  let passed = false;
  let started = false;
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`agent did not start within ${o.timeoutMs / 1000} s:\n${tail()}`)), o.timeoutMs);
    child.once('exit', (code) => fail(new Error(`agent exited with ${code}:\n${tail()}`)));
    const onLine = (line: string) => {
      if (lines.length < KEEP_LINES) lines.push(line);
      o.onLine?.(line);
      if (started) return;
      const http = /"http":"127\.0\.0\.1:([0-9]+)"/.exec(line);
      if (http) httpPort = Number(http[1]);
      // The two may come in either order (a DNO list can finish loading before the HTTP server listens).
      passed ||= o.ready(line);
      if (httpPort && passed) {
        started = true;
        clearTimeout(timer);
        ready();
      }
    };
    // A log line can span two chunks: only whole lines are passed on.
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffered = '';
      stream.on('data', (d: Buffer) => {
        const parts = (buffered + d.toString('utf8')).split('\n');
        buffered = parts.pop() ?? '';
        for (const line of parts) if (line) onLine(line);
      });
    }
  });
  const stat = () => readFileSync(`/proc/${child.pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
  return {
    child,
    httpPort,
    lines,
    // utime and stime: fields 14 and 15 of /proc/PID/stat (11 and 12 after the command name), in 1/100 s ticks.
    cpuSeconds: () => (Number(stat()[11]) + Number(stat()[12])) / 100,
    // RSS in pages: field 24 (21 after the command name).
    rssMb: () => (Number(stat()[21]) * 4096) / 2 ** 20,
    async metric(name) {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
    },
  };
}

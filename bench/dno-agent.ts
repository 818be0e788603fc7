/**
 * A real `hoptrace-agent` process for the DNO benchmarks (bench/dno.ts, bench/dno-sync.ts): started from a
 * config file as an operator starts it, watched through its log lines, its /metrics and /proc/PID/status.
 *
 * It runs the TypeScript sources through tsx (as the tests do) unless `dist/agent/cli.js` exists and
 * HOPTRACE_BENCH_DIST=1 is set (`npm run build` first): tsx's loader adds some 30 MB of its own to the RSS,
 * which the compiled agent an operator runs does not have.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');
const DIST_CLI = join(ROOT, 'dist/agent/cli.js');

export interface BenchAgent {
  pid: number;
  /** How the agent ran: 'tsx' or 'dist'. */
  runtime: string;
  httpPort: number;
  /** Log lines so far (JSON). */
  lines: string[];
  /** Resident set size now, bytes (VmRSS) */
  rss(): number;
  /** Peak resident set size so far, bytes (VmHWM). */
  peakRss(): number;
  /** The agent's process CPU time so far (user + system), ms. */
  cpuMs(): number;
  /** hoptrace_dno_list_version from its /metrics. */
  listVersion(): Promise<number>;
  /** Where its memory is, from its /metrics: V8 heap spaces (committed) and external memory, as text. */
  memory(): Promise<string>;
  waitFor(re: RegExp, timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
}

/** Start an agent with this configuration (written to `dir`); resolves once it logged 'agent started'. */
export async function startBenchAgent(dir: string, config: Record<string, unknown>, timeoutMs = 600_000): Promise<BenchAgent> {
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, YAML.stringify({ http: { listen: '127.0.0.1:0' }, log: { level: 'info' }, ...config }));
  const dist = process.env.HOPTRACE_BENCH_DIST === '1' && existsSync(DIST_CLI);
  const args = dist ? [DIST_CLI, '--config', file] : ['--import', 'tsx', join(ROOT, 'agent/cli.ts'), '--config', file];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<{ re: RegExp; resolve: (line: string) => void }>();
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      for (const w of waiters) if (w.re.test(line)) (waiters.delete(w), w.resolve(line));
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const waitFor = (re: RegExp, ms: number): Promise<string> => {
    const seen = lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const w = { re, resolve: (l: string) => (clearTimeout(t), res(l)) };
      const t = setTimeout(() => (waiters.delete(w), rej(new Error(`agent: no ${re} within ${ms} ms:\n${lines.slice(-10).join('\n')}`))), ms);
      waiters.add(w);
    });
  };
  const started = await waitFor(/agent started/, timeoutMs);
  const httpPort = Number(/"http":"[^"]*:(\d+)"/.exec(started)?.[1]);
  const status = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  return {
    pid: child.pid!,
    runtime: dist ? 'dist' : 'tsx',
    httpPort,
    lines,
    rss: () => status('VmRSS'),
    peakRss: () => status('VmHWM'),
    cpuMs() {
      // /proc/PID/stat fields 14 and 15: utime and stime in clock ticks (100 per second on Linux).
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async listVersion() {
      const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
      return Number(/^hoptrace_dno_list_version (\d+)/m.exec(await res.text())?.[1] ?? -1);
    },
    async memory() {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      const mbOf = (bytes: string) => `${(Number(bytes) / 1048576).toFixed(1)}`;
      const spaces = [...text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\d+)/gm)].filter((m) => Number(m[2]) > 1048576).map((m) => `${m[1]} ${mbOf(m[2]!)}`);
      const external = /^nodejs_external_memory_bytes (\d+)/m.exec(text)?.[1] ?? '0';
      return `heap spaces (MB committed): ${spaces.join(', ')}; external ${mbOf(external)} MB`;
    },
    waitFor,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

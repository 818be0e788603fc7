/** Runs a hoptrace CLI as its own process (through tsx), capturing its JSON log lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface Proc {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first log line (already printed or still to come) that matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const ROOT = resolve(import.meta.dirname, '../..');

export function runCli(script: 'agent/cli.ts' | 'hub/cli.ts', args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<{ re: RegExp; resolve: (l: string) => void }>();
  const onLine = (line: string) => {
    if (!line) return;
    lines.push(line);
    for (const w of waiters) if (w.re.test(line)) (waiters.delete(w), w.resolve(line));
  };
  // A line can arrive cut across two reads (the logger writes in buffered blocks): keep the tail until its newline.
  const follow = (stream: NodeJS.ReadableStream) => {
    let tail = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (tail + chunk).split('\n');
      tail = parts.pop()!;
      for (const line of parts) onLine(line);
    });
    stream.on('end', () => onLine(tail));
  };
  follow(child.stdout!);
  follow(child.stderr!);
  return {
    child,
    lines,
    waitFor(re, timeoutMs = 20_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((res, rej) => {
        const w = { re, resolve: (l: string) => (clearTimeout(t), res(l)) };
        const t = setTimeout(() => (waiters.delete(w), rej(new Error(`timed out waiting for ${re}; output:\n${lines.slice(-20).join('\n')}`))), timeoutMs);
        waiters.add(w);
      });
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((res) => {
        child.once('exit', (code) => res(code));
        child.kill(signal);
      });
    },
  };
}

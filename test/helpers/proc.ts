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
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      for (const w of waiters) if (w.re.test(line)) (waiters.delete(w), w.resolve(line));
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
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

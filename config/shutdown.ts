/**
 * The way down, shared by both programs. On SIGTERM (what `docker stop` and Kubernetes send) or SIGINT a
 * program stops taking new work, lets the work under way finish — requests being answered, hop answers being
 * sent, batches of calls and CDR checkpoints being written — and exits 0. Past its stop deadline it exits 1
 * with a log line, so an orchestrator never waits on a stuck stop and an operator sees that work was cut.
 */
import type http from 'node:http';
import type { Logger } from 'pino';
import { flushLog } from './log.js';

/** How often a draining server closes connections that went idle: a keep-alive connection whose request just finished. */
const IDLE_SWEEP_MS = 50;

/**
 * Stop taking connections and requests; let the requests under way finish for up to `graceMs`, then cut what is
 * left. Long polls are not this function's business: their owners answer them when stopping begins.
 */
export function drainHttp(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    let sweep: NodeJS.Timeout | undefined;
    let cut: NodeJS.Timeout | undefined;
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
    sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    cut = setTimeout(() => server.closeAllConnections(), graceMs);
  });
}

export interface SignalStop {
  log: Logger;
  /** Stops the program's parts in order; a rejection is logged and makes the exit code 1. */
  stop(): Promise<void>;
  /** Longest the stop may take, seconds. */
  timeoutSec: number;
  /** Ends the process; tests replace it. */
  exit?: (code: number) => void;
}

/** On the first SIGTERM or SIGINT, run `stop` under its deadline and exit (0 when everything stopped in time). */
export function stopOnSignals(o: SignalStop): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return void o.log.warn({ signal }, 'already stopping');
    stopping = true;
    void stopWithin(o, signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

export async function stopWithin(o: SignalStop, reason: string): Promise<number> {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const started = Date.now();
  o.log.info({ signal: reason, timeoutSec: o.timeoutSec }, 'stopping: finishing the work under way');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), o.timeoutSec * 1000)));
  const stopped = o.stop().then(
    () => 'stopped' as const,
    (err: unknown) => {
      o.log.error({ err }, 'stop failed');
      return 'failed' as const;
    },
  );
  const how = await Promise.race([stopped, deadline]);
  clearTimeout(timer);
  const code = how === 'stopped' ? 0 : 1;
  if (how === 'late') o.log.error({ timeoutSec: o.timeoutSec }, 'stop deadline passed with work still under way: exiting');
  else o.log.info({ ms: Date.now() - started, code }, 'stopped');
  // The log is buffered (config/log.ts): the lines of the way down are the ones an operator reads first.
  await flushLog(o.log);
  exit(code);
  return code;
}

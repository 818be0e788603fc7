/**
 * The one logger factory for hub, agent and CLIs: JSON lines (pino), secrets redacted wherever they appear
 * in a logged object (DESIGN §8). Callers add context with child loggers (caseId, queryId, reqId).
 *
 * A program's own log goes to stdout through a buffer written asynchronously: one synchronous write per line
 * was ≈ 10 % of the policy server's CPU per call when it logs every DNO block. Lines wait at most
 * FLUSH_EVERY_MS (or until BUFFER_BYTES gather), the stop path (config/shutdown.ts) flushes before it exits,
 * and an uncaught exception is logged and flushed synchronously before the process dies.
 */
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'authorization',
  'secret',
  'password',
  'token',
  'privateKey',
  'authKey',
  '*.authorization',
  '*.secret',
  '*.password',
  '*.token',
  '*.privateKey',
  '*.authKey',
  'headers.authorization',
  '*.headers.authorization',
];

/** Bytes gathered before a write. */
const BUFFER_BYTES = 4096;
/** Longest a line waits in the buffer: a quiet agent's lines still show up promptly. */
const FLUSH_EVERY_MS = 250;
/** How long the stop path waits for the buffer to be written before it exits anyway (exit writes what is left synchronously). */
const FLUSH_TIMEOUT_MS = 2_000;

export type BufferedDestination = ReturnType<typeof pino.destination>;

/** A buffered, asynchronously written destination: a file descriptor (1 = stdout) or a file path. */
export function bufferedDestination(dest: number | string): BufferedDestination {
  return pino.destination({ dest, sync: false, minLength: BUFFER_BYTES, periodicFlush: FLUSH_EVERY_MS });
}

let stdout: BufferedDestination | undefined;

/** The program's stdout destination, one per process; on an uncaught exception it logs it and writes out what it holds. */
function programOutput(log: () => Logger): BufferedDestination {
  if (stdout) return stdout;
  const dest = bufferedDestination(1);
  process.on('uncaughtExceptionMonitor', (err, origin) => {
    log().fatal({ err, origin }, 'fatal: uncaught exception');
    try {
      dest.flushSync();
    } catch {
      // The process is dying and stdout is gone or stuck: there is nowhere left to report it.
    }
  });
  return (stdout = dest);
}

export function createLogger(name: string, level = 'info', destination?: pino.DestinationStream): Logger {
  const log: Logger = pino(
    { name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { name } },
    destination ?? programOutput(() => log),
  );
  return log;
}

/**
 * Writes out the lines the logger's destination holds; resolves once they are written, or after
 * FLUSH_TIMEOUT_MS (a blocked stdout must not hold the exit up). Never rejects: a flush error is no reason to
 * stop stopping.
 */
export function flushLog(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    log.flush(() => (clearTimeout(timer), resolve()));
  });
}

/** Sections the agent and the hub configure the same way. */
import { z } from 'zod';
import { filePath, hostPort, LogLevel, redisUrl } from './fields.js';
import { type Shortcut, ShortcutError } from './shortcuts.js';

export const KeysSection = z
  .object({
    privateKeyFile: filePath().describe('PKCS#8 PEM file holding the Ed25519 key that signs outgoing envelopes (`keygen` writes one)'),
    kid: z.string().min(1).max(64).optional().describe('Key id sent with signatures; default: derived from the public key'),
  })
  .strict();

export const RedisSection = z
  .object({
    url: redisUrl().describe('Redis (or Redis Cluster seed) URL, e.g. redis://:PASSWORD@10.0.0.5:6379/0; without it the embedded in-process store is used and nothing survives a restart'),
    cluster: z
      .boolean()
      .default(false)
      .describe('redis.url is a seed of a Redis Cluster: every store uses a cluster client (each store keeps the keys of one script or transaction under one hash tag)'),
  })
  .strict();

export const LogSection = z
  .object({ level: LogLevel.default('info').describe('Log level (pino)') })
  .strict();

export function httpSection(defaultListen: string, purpose: string) {
  return z
    .object({ listen: hostPort().prefault(defaultListen).describe(`Address the HTTP server binds: ${purpose}`) })
    .strict();
}

/** The way down (config/shutdown.ts): what SIGTERM may wait for. */
export const ShutdownSection = z
  .object({
    timeoutSec: z
      .number()
      .positive()
      .max(600)
      .default(10)
      .describe('After SIGTERM or SIGINT, how long the work under way may take to finish before the process exits 1, seconds; HTTP requests under way get half of it'),
  })
  .strict();

/** `--stop-timeout SEC` / HOPTRACE_STOP_TIMEOUT: the flag's text is a number of seconds. */
export const stopTimeoutShortcut: Shortcut = {
  flag: 'stop-timeout',
  env: 'HOPTRACE_STOP_TIMEOUT',
  path: ['shutdown', 'timeoutSec'],
  expand: (text) => {
    const sec = Number(text);
    if (text.trim() === '' || !Number.isFinite(sec)) throw new ShortcutError(`expected seconds, got ${JSON.stringify(text)}`);
    return sec;
  },
};

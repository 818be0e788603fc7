/** Sections the agent and the hub configure the same way. */
import { z } from 'zod';
import { filePath, hostPort, LogLevel, redisUrl } from './fields.js';

export const KeysSection = z
  .object({
    privateKeyFile: filePath().describe('PKCS#8 PEM file holding the Ed25519 key that signs outgoing envelopes (`keygen` writes one)'),
    kid: z.string().min(1).max(64).optional().describe('Key id sent with signatures; default: derived from the public key'),
  })
  .strict();

export const RedisSection = z
  .object({
    url: redisUrl().describe('Redis (or Redis Cluster seed) URL, e.g. redis://:PASSWORD@10.0.0.5:6379/0; without it the embedded in-process store is used and nothing survives a restart'),
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

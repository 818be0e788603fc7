/**
 * The hub's configuration (DESIGN §4): one schema, the source of both validation and the generated reference.
 */
import { z } from 'zod';
import { ProviderId, ProviderKey } from '../proto/messages.js';
import type { Shortcut } from './shortcuts.js';
import { filePath, ianaZone, instant, webUrl } from './fields.js';
import { httpSection, KeysSection, LogSection, RedisSection, ShutdownSection, stopTimeoutShortcut } from './sections.js';

/** A token bucket: `perSec` sustained, `burst` at once after a quiet spell. */
function bucket(perSec: number, burst: number) {
  return z
    .object({
      perSec: z.number().positive().max(1_000_000).default(perSec).describe('Sustained requests per second'),
      burst: z.number().int().min(1).max(1_000_000).default(burst).describe('Requests allowed at once after a quiet spell'),
    })
    .strict()
    .prefault({});
}

export const HubConfig = z
  .object({
    http: httpSection('127.0.0.1:8080', 'the API, agent endpoints and the web UI').prefault({}).describe('HTTP server'),
    id: ProviderId.default('hub').describe('The hub\'s envelope id (the iss of queries, the aud of answers)'),
    keys: KeysSection.optional().describe('The hub\'s signing key'),
    previousKeys: z
      .array(z.object({ publicKey: ProviderKey.shape.publicKey.describe('The retired key (base64url of its raw 32 bytes, as keygen printed it)'), notAfter: instant().describe('End of the overlap: links it signed are refused from then on') }).strict())
      .max(7)
      .default([])
      .describe('Hub keys replaced by a rotation (base64url raw public keys): manual-hop links they signed still open until each one\'s notAfter'),
    redis: RedisSection.optional()
      .describe('Store for cases, hops, providers and the DNO master list'),
    providersFile: filePath().optional().describe('YAML/JSON list of providers loaded at start (each as in the providers API)'),
    deadlines: z
      .object({
        agentSec: z.number().positive().max(3600).default(10).describe('How long an agent has to answer a hop query, seconds'),
        agentRetries: z.number().int().min(0).max(10).default(2).describe('Retries of an unanswered or unavailable agent query before the hop is non-responsive'),
        manualHours: z.number().positive().max(720).default(24).describe('How long a provider without an agent has to answer by hand, hours (24 by US rule)'),
        businessHours: z.boolean().default(false).describe('A manual hop asked outside business hours (08:00–17:00, Monday–Friday) counts as asked at 08:00 the next business day'),
        businessZone: ianaZone().default('America/New_York').describe('IANA time zone of those business hours'),
      })
      .strict()
      .prefault({})
      .describe('Answer deadlines per hop'),
    tokens: z
      .object({ file: filePath().describe('File of bearer tokens and their roles, for people and scripts') })
      .strict()
      .optional()
      .describe('API bearer tokens'),
    rateLimit: z
      .object({
        token: bucket(20, 100).describe('Requests per API bearer token (people and scripts)'),
        agent: bucket(1000, 2000).describe("Requests per agent signing key (its envelopes' iss and kid): polls and answers"),
      })
      .strict()
      .prefault({})
      .describe('Token-bucket request limits of each hub instance; a request over its limit gets 429 with Retry-After'),
    dno: z
      .object({
        emergency: z
          .array(z.string().regex(/^\+?[0-9]{1,15}$/, 'digits, optionally with a leading +'))
          .default(['911', '112'])
          .describe('Emergency short codes no DNO entry may name or cover (911 and 112 always, in every form: +1911, 1911…)'),
      })
      .strict()
      .prefault({})
      .describe('DNO master list'),
    publicUrl: webUrl().optional().describe('URL agents and people reach the hub at, when it differs from http.listen (behind a proxy)'),
    notify: z
      .object({
        maxAttempts: z.number().int().min(1).max(50).default(8).describe('Attempts of a referral or notice delivery before it goes to the dead letters'),
        backoffSec: z.number().positive().max(3600).default(2).describe('Wait before the first retry, seconds; each further retry waits twice as long'),
        maxBackoffSec: z.number().positive().max(86_400).default(3600).describe('Longest wait between two attempts, seconds'),
        jitter: z.number().min(0).max(1).default(0.2).describe('Each wait is shortened by a random fraction up to this, so retries of many deliveries spread out'),
        timeoutSec: z.number().positive().max(300).default(10).describe('Longest wait for a receiver to connect and answer, seconds'),
        concurrency: z.number().int().min(1).max(256).default(8).describe('Deliveries sent at once by one hub instance'),
        keepDeliveredDays: z
          .number()
          .positive()
          .max(3650)
          .default(30)
          .describe('How long a delivered notification\'s record is kept, days; then it is forgotten (dead letters stay until redelivered or dropped)'),
      })
      .strict()
      .prefault({})
      .describe('Delivery of referrals and provider notices to subscribers\' webhooks'),
    shutdown: ShutdownSection.prefault({}).describe('Stopping on SIGTERM'),
    log: LogSection.prefault({}).describe('Logging'),
  })
  .strict();
export type HubConfig = z.infer<typeof HubConfig>;

/** Settings of `hoptrace-hub serve` that have a flag and a short environment variable (DESIGN §4). */
export const hubShortcuts: readonly Shortcut[] = [
  { flag: 'http', env: 'HOPTRACE_HTTP', path: ['http', 'listen'] },
  { flag: 'redis', env: 'HOPTRACE_REDIS_URL', path: ['redis', 'url'] },
  { flag: 'providers', env: 'HOPTRACE_PROVIDERS', path: ['providersFile'] },
  stopTimeoutShortcut,
];

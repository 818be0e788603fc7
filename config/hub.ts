/**
 * The hub's configuration (DESIGN §4): one schema, the source of both validation and the generated reference.
 */
import { z } from 'zod';
import { ProviderId } from '../proto/messages.js';
import type { Shortcut } from './shortcuts.js';
import { filePath, ianaZone, webUrl } from './fields.js';
import { httpSection, KeysSection, LogSection, RedisSection } from './sections.js';

export const HubConfig = z
  .object({
    http: httpSection('127.0.0.1:8080', 'the API, agent endpoints and the web UI').prefault({}).describe('HTTP server'),
    id: ProviderId.default('hub').describe('The hub\'s envelope id (the iss of queries, the aud of answers)'),
    keys: KeysSection.optional().describe('The hub\'s signing key'),
    redis: RedisSection.optional().describe('Store for cases, hops, providers and the DNO master list'),
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
    publicUrl: webUrl().optional().describe('URL agents and people reach the hub at, when it differs from http.listen (behind a proxy)'),
    log: LogSection.prefault({}).describe('Logging'),
  })
  .strict();
export type HubConfig = z.infer<typeof HubConfig>;

/** Settings of `hoptrace-hub serve` that have a flag and a short environment variable (DESIGN §4). */
export const hubShortcuts: readonly Shortcut[] = [
  { flag: 'http', env: 'HOPTRACE_HTTP', path: ['http', 'listen'] },
  { flag: 'redis', env: 'HOPTRACE_REDIS_URL', path: ['redis', 'url'] },
  { flag: 'providers', env: 'HOPTRACE_PROVIDERS', path: ['providersFile'] },
];

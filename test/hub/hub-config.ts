/**
 * A hub's files as `hoptrace-hub serve --config` reads them, for tests that run the hub as a process: its signing
 * key, one admin token, the providers, on a real Redis and a free loopback port, plus whatever settings a test needs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { hashToken } from '../../hub/auth.js';
import { type KeyPair, privateKeyToPem } from '../../proto/keys.js';
import type { ProviderInput } from '../../proto/messages.js';
import { freePort } from '../helpers/redis.js';

export interface HubConfigFiles {
  /** The hub.yaml to pass as --config. */
  config: string;
  url: string;
}

export async function writeHubConfig(o: {
  hubKey: KeyPair;
  /** The admin ('ops') token. */
  token: string;
  redisUrl: string;
  providers: Partial<ProviderInput>[];
  /** Further hub.yaml settings (deadlines, notify, log, id). */
  settings?: Record<string, unknown>;
}): Promise<HubConfigFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-hub-'));
  // 0600: a private key and token hashes, kept as an operator keeps them.
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const port = await freePort();
  const config = write(
    'hub.yaml',
    YAML.stringify({
      http: { listen: `127.0.0.1:${port}` },
      keys: { privateKeyFile: write('hub.pem', privateKeyToPem(o.hubKey.privateKey)), kid: o.hubKey.kid },
      redis: { url: o.redisUrl },
      tokens: { file: write('tokens.yaml', YAML.stringify([{ id: 'ops', roles: ['admin'], sha256: hashToken(o.token) }])) },
      providersFile: write('providers.yaml', YAML.stringify(o.providers)),
      ...o.settings,
    }),
  );
  return { config, url: `http://127.0.0.1:${port}` };
}

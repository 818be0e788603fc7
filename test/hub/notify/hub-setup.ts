/**
 * A hub as `hoptrace-hub serve` starts it (hub/server.ts: store, notify, number blocks, API), on a real Redis
 * when given one, with an admin token and the given providers; quick retry settings for the notify tests.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { HubConfig } from '../../../config/hub.js';
import { hashToken, newToken } from '../../../hub/auth.js';
import { HubClient } from '../../../hub/client.js';
import { type RunningHub, startHub } from '../../../hub/server.js';
import { generateKeyPair, type KeyPair, privateKeyToPem, publicKeyToRaw } from '../../../proto/keys.js';
import type { ProviderInput } from '../../../proto/messages.js';
import { silent } from '../harness.js';

export interface NotifyHub {
  running: RunningHub;
  api: HubClient;
  token: string;
  /** A token with trace:write and trace:read only. */
  requester: string;
  hubKey: KeyPair;
  /** The hub key as subscribers pin it. */
  pinned: string;
  stop(): Promise<void>;
}

export const QUICK_NOTIFY = { maxAttempts: 3, backoffSec: 0.1, maxBackoffSec: 1, jitter: 0.5, timeoutSec: 2 };

export async function startNotifyHub(o: { providers: Partial<ProviderInput>[]; redisUrl?: string; hubKey?: KeyPair; port?: number; notify?: Partial<typeof QUICK_NOTIFY> }): Promise<NotifyHub> {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-notify-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const hubKey = o.hubKey ?? generateKeyPair('hub-notify');
  const token = newToken();
  const requester = newToken();
  const cfg = HubConfig.parse({
    http: { listen: `127.0.0.1:${o.port ?? 0}` },
    keys: { privateKeyFile: write('hub.pem', privateKeyToPem(hubKey.privateKey)), kid: hubKey.kid },
    ...(o.redisUrl && { redis: { url: o.redisUrl } }),
    tokens: { file: write('tokens.yaml', YAML.stringify([
        { id: 'ops', roles: ['admin'], sha256: hashToken(token) },
        { id: 'requester', roles: ['trace:write', 'trace:read'], sha256: hashToken(requester) },
      ])) },
    providersFile: write('providers.yaml', YAML.stringify(o.providers)),
    deadlines: { agentSec: 1, agentRetries: 0 },
    notify: { ...QUICK_NOTIFY, ...o.notify },
  });
  const running = await startHub(cfg, silent);
  const api = new HubClient(running.url, token);
  return {
    running,
    api,
    token,
    requester,
    hubKey,
    pinned: publicKeyToRaw(hubKey.publicKey),
    async stop() {
      await api.close();
      await running.stop();
    },
  };
}

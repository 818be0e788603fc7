/**
 * `hoptrace-hub serve`: the store, the hub, its API on HTTP, tokens and providers from their files.
 */
import { readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { HubConfig } from '../config/hub.js';
import { loadProvidersFile } from '../config/load.js';
import { generateKeyPair, type KeyPair, keyPairFromPrivateKey, privateKeyFromPem } from '../proto/keys.js';
import { hubApp } from './api/app.js';
import { type HubDno, openHubDno } from './dno/open.js';
import { defaultEngineConfig } from './engine.js';
import { Hub } from './hub.js';
import { openHubStore } from './store/open.js';
import { loadTokens, readTokensFile } from './tokens.js';

export interface RunningHub {
  hub: Hub;
  url: string;
  port: number;
  key: KeyPair;
  stop(): Promise<void>;
}

export interface Listening {
  url: string;
  port: number;
  /** Stops taking requests and drops open ones (long polls included). */
  close(): Promise<void>;
}

export async function startHub(cfg: HubConfig, log: Logger): Promise<RunningHub> {
  const now = Date.now;
  const key = cfg.keys ? keyPairFromPrivateKey(privateKeyFromPem(readFileSync(cfg.keys.privateKeyFile, 'utf8')), cfg.keys.kid) : ephemeralKey(log);
  const store = openHubStore({ redisUrl: cfg.redis?.url });
  const hub = new Hub({
    id: cfg.id,
    key,
    store,
    log,
    engine: {
      ...defaultEngineConfig,
      agentDeadlineMs: cfg.deadlines.agentSec * 1000,
      agentRetries: cfg.deadlines.agentRetries,
      manualDeadlineMs: cfg.deadlines.manualHours * 3_600_000,
      ...(cfg.deadlines.businessHours && { businessHoursZone: cfg.deadlines.businessZone }),
    },
  });
  const dno = openHubDno({ redisUrl: cfg.redis?.url, hubId: cfg.id, key, keys: (iss, kid) => hub.registry.keys(iss, kid, now()), jti: store });
  try {
    if (cfg.tokens) await loadTokens(store, readTokensFile(cfg.tokens.file), now());
    if (cfg.providersFile) for (const p of loadProvidersFile(cfg.providersFile)) await hub.registry.upsert(p, now());
    await hub.start();
    const http = await listenHub(hub, { host: cfg.http.listen.host, port: cfg.http.listen.port, now, dno, ...(cfg.publicUrl && { publicUrl: cfg.publicUrl }) });
    log.info({ url: http.url, id: cfg.id, kid: key.kid }, 'hub listening');
    return {
      hub,
      url: http.url,
      port: http.port,
      key,
      async stop() {
        await http.close();
        await hub.stop();
        await dno.close();
        await store.close();
      },
    };
  } catch (err) {
    await hub.stop();
    await dno.close();
    await store.close();
    throw err;
  }
}

/** The hub's API on an HTTP server. */
export async function listenHub(hub: Hub, o: { host: string; port: number; now: () => number; publicUrl?: string; dno?: HubDno }): Promise<Listening> {
  const app = hubApp({ hub, now: o.now, ...(o.publicUrl && { publicUrl: o.publicUrl }), ...(o.dno && { dno: o.dno }) });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: o.host, port: o.port }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: o.publicUrl ?? `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Without a key file the hub signs with a key that lives as long as the process: fine for a demo, not for agents. */
function ephemeralKey(log: Logger): KeyPair {
  log.warn('no keys.privateKeyFile: signing with an ephemeral key; agents cannot pin it across restarts');
  return generateKeyPair();
}

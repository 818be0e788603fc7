/**
 * `hoptrace-hub serve`: the store, the hub, its API on HTTP, tokens and providers from their files.
 */
import { readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { HubConfig } from '../config/hub.js';
import { loadProvidersFile } from '../config/load.js';
import { drainHttp } from '../config/shutdown.js';
import { generateKeyPair, type KeyPair, keyPairFromPrivateKey, privateKeyFromPem } from '../proto/keys.js';
import { hubApp } from './api/app.js';
import type { RateLimits } from './api/rate-limit.js';
import { type HubDno, openHubDno } from './dno/open.js';
import { defaultEngineConfig } from './engine.js';
import { type HolderStore, openHolders } from './forward/holders.js';
import { Hub } from './hub.js';
import type { Notifier } from './notify/notifier.js';
import { openNotify } from './notify/open.js';
import { openHubStore } from './store/open.js';
import type { TokenLookup } from './auth.js';
import { TokenBook } from './tokens.js';

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
  /**
   * Stops taking requests, answers the long polls at once (empty: the agent polls again elsewhere), lets the
   * other requests under way finish for up to `graceMs`, then drops what is left.
   */
  close(graceMs?: number): Promise<void>;
}

/** How long requests under way may take to finish when the server closes, unless the caller says. */
const DRAIN_MS = 5_000;

export async function startHub(cfg: HubConfig, log: Logger): Promise<RunningHub> {
  const now = Date.now;
  const key = cfg.keys ? keyPairFromPrivateKey(privateKeyFromPem(readFileSync(cfg.keys.privateKeyFile, 'utf8')), cfg.keys.kid) : ephemeralKey(log);
  const store = openHubStore({ redisUrl: cfg.redis?.url, cluster: cfg.redis?.cluster });
  // Links in notices point where people reach the hub; the listening address is certain once it listens.
  let publicUrl = cfg.publicUrl ?? `http://${cfg.http.listen.host}:${cfg.http.listen.port}`;
  const notify = openNotify({ cfg: cfg.notify, redisUrl: cfg.redis?.url, cluster: cfg.redis?.cluster, hubId: cfg.id, key, cases: store, log, publicUrl: () => publicUrl });
  const holders = openHolders(cfg.redis);
  const hub = new Hub({
    id: cfg.id,
    key,
    previousKeys: cfg.previousKeys,
    store,
    log,
    hooks: notify.notifier,
    engine: {
      ...defaultEngineConfig,
      agentDeadlineMs: cfg.deadlines.agentSec * 1000,
      agentRetries: cfg.deadlines.agentRetries,
      manualDeadlineMs: cfg.deadlines.manualHours * 3_600_000,
      ...(cfg.deadlines.businessHours && { businessHoursZone: cfg.deadlines.businessZone }),
    },
  });
  const dno = openHubDno({ redisUrl: cfg.redis?.url, cluster: cfg.redis?.cluster, hubId: cfg.id, key, keys: (iss, kid) => hub.registry.keys(iss, kid, now()), jti: store, emergency: cfg.dno.emergency });
  try {
    // Bearer tokens come from the tokens file alone, read again when it changes; no file, no tokens.
    const tokens: TokenLookup = cfg.tokens ? new TokenBook(cfg.tokens.file, log.child({ part: 'tokens' }), now) : noTokens(log);
    if (cfg.providersFile) for (const p of loadProvidersFile(cfg.providersFile)) await hub.registry.upsert(p, now());
    await hub.start();
    notify.start();
    const http = await listenHub(hub, { host: cfg.http.listen.host, port: cfg.http.listen.port, now, tokens, dno, notifier: notify.notifier, holders, rateLimits: cfg.rateLimit, ...(cfg.publicUrl && { publicUrl: cfg.publicUrl }) });
    publicUrl = http.url;
    log.info({ url: http.url, id: cfg.id, kid: key.kid }, 'hub listening');
    return {
      hub,
      url: http.url,
      port: http.port,
      key,
      async stop() {
        // Requests under way get half the stop deadline; each later part is stopped even when one fails.
        const parts: [string, () => Promise<void>][] = [
          ['http', () => http.close(cfg.shutdown.timeoutSec * 500)],
          ['hub', () => hub.stop()],
          ['notify', () => notify.stop()],
          ['number blocks', () => holders.close()],
          ['dno', () => dno.close()],
          ['store', () => store.close()],
        ];
        let failed: unknown;
        for (const [part, stop] of parts) {
          await stop().catch((err: unknown) => {
            log.error({ err, part }, 'stop failed');
            failed ??= err;
          });
        }
        if (failed !== undefined) throw failed;
      },
    };
  } catch (err) {
    await hub.stop();
    await notify.stop();
    await holders.close();
    await dno.close();
    await store.close();
    throw err;
  }
}

/** The hub's API on an HTTP server. */
export async function listenHub(hub: Hub, o: { host: string; port: number; now: () => number; tokens?: TokenLookup; publicUrl?: string; dno?: HubDno; notifier?: Notifier; holders?: HolderStore; rateLimits?: RateLimits }): Promise<Listening> {
  const stopping = new AbortController();
  const app = hubApp({ hub, now: o.now, stopping: stopping.signal, ...(o.tokens && { tokens: o.tokens }), ...(o.publicUrl && { publicUrl: o.publicUrl }), ...(o.dno && { dno: o.dno }), ...(o.notifier && { notifier: o.notifier }), ...(o.holders && { holders: o.holders }), ...(o.rateLimits && { rateLimits: o.rateLimits }) });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: o.host, port: o.port }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: o.publicUrl ?? `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    port,
    close: (graceMs = DRAIN_MS) => {
      stopping.abort();
      return drainHttp(server as http.Server, graceMs);
    },
  };
}

/** A hub with no tokens file accepts no bearer token (agents still work: they sign their requests). */
function noTokens(log: Logger): TokenLookup {
  log.warn('no tokens.file: every bearer-token request is refused');
  return { getToken: async () => undefined };
}

/** Without a key file the hub signs with a key that lives as long as the process: fine for a demo, not for agents. */
function ephemeralKey(log: Logger): KeyPair {
  log.warn('no keys.privateKeyFile: signing with an ephemeral key; agents cannot pin it across restarts');
  return generateKeyPair();
}

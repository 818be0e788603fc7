/**
 * Wires an agent from its configuration: the call index, the ingress map, the link to the hub, the HTTP
 * server, and the call sources and DNO enforcement configured for the site. Each part owns its own idea; this
 * file only connects them and stops them in reverse order.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AgentConfig } from '../config/agent.js';
import { ConfigError, loadIngressFile } from '../config/load.js';
import { type KeyPair, keyPairFromPrivateKey, privateKeyFromPem, publicKeyFromRaw } from '../proto/keys.js';
import type { HopQuery } from '../proto/messages.js';
import { type AnswerContext, answerQuery, type Lookup, MAX_MATCHES, windowOf } from './answer.js';
import { openCallIndex } from './calls/open.js';
import type { CallIndex } from './calls/store.js';
import { startAgentHttp } from './http.js';
import { IngressMap } from './ingress.js';
import { PullLink } from './link/pull.js';

export interface RunningAgent {
  provider: string;
  httpPort: number;
  index: CallIndex;
  stop(): Promise<void>;
}

export async function startAgent(cfg: AgentConfig, log: Logger): Promise<RunningAgent> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.error({ err }, 'stop failed'));
  };
  try {
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });

    const index = openCallIndex({ redisUrl: cfg.redis?.url, retentionDays: cfg.calls.retentionDays, bucketSec: cfg.calls.bucketSec });
    stops.push(() => index.close());

    const ingress = new IngressMap([...cfg.ingress.map, ...(cfg.ingress.file ? loadIngressFile(cfg.ingress.file) : [])]);
    const answer = (q: HopQuery) => answerFromIndex(q, index, { provider: cfg.provider, ingress, now: Date.now() });

    if (cfg.hub.url) {
      const key = loadKey(cfg);
      const link = new PullLink({
        hubUrl: cfg.hub.url,
        hubId: cfg.hub.id,
        hubKeys: cfg.hub.publicKeys.map(publicKeyFromRaw),
        provider: cfg.provider,
        key,
        waitSec: cfg.hub.pollWaitSec,
        log: log.child({ part: 'link' }),
        handle: answer,
      });
      link.start();
      stops.push(() => link.stop());
      log.info({ hub: cfg.hub.url, kid: key.kid }, 'polling the hub for hop queries');
    } else {
      log.info('no hub configured: this site enforces DNO only and answers no hop queries');
    }

    const { host, port } = cfg.http.listen;
    const http = await startAgentHttp({ host, port, metrics, ready: [{ name: 'store', ok: () => index.ping() }] });
    stops.push(() => http.close());
    log.info({ provider: cfg.provider, http: `${host}:${http.port}` }, 'agent started');

    return { provider: cfg.provider, httpPort: http.port, index, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Look the call up and answer; a store failure becomes `unavailable`, never `not_found` (DESIGN §8). */
export async function answerFromIndex(q: HopQuery, index: CallIndex, ctx: AnswerContext) {
  const w = windowOf(q);
  let lookup: Lookup;
  try {
    lookup = { ok: true, records: await index.lookup(q.call.called, w.from, w.to, MAX_MATCHES * 4) };
  } catch (err) {
    lookup = { ok: false, reason: `call index unavailable: ${(err as Error).message}` };
  }
  return answerQuery(q, lookup, ctx);
}

function loadKey(cfg: AgentConfig): KeyPair {
  if (!cfg.keys) throw ConfigError.of('keys.privateKeyFile', 'required when hub.url is set');
  return keyPairFromPrivateKey(privateKeyFromPem(readFileSync(cfg.keys.privateKeyFile, 'utf8')), cfg.keys.kid);
}

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
import { callIndexMetrics } from './calls/metrics.js';
import { openCallIndex } from './calls/open.js';
import type { LiveDno } from './dno/live.js';
import { startDno } from './dno/start.js';
import { type PolicyServer, startSipPolicy } from './sip/policy-server.js';
import { startDrachtio } from './sip/drachtio.js';
import { startHep } from './sip/hep-collector.js';
import { startShaken } from './sip/shaken.js';
import { cdrEvidence } from './cdr/evidence.js';
import { startCdrSources } from './cdr/sources.js';
import type { CdrSourceSettings } from './cdr/tailer.js';
import type { CallIndex } from './calls/store.js';
import { type Route, startAgentHttp } from './http.js';
import { IngressMap } from './ingress.js';
import { HubLink } from './link/hub-link.js';
import { PullLink } from './link/pull.js';
import { PUSH_PATH, PushEndpoint } from './link/push.js';
import { RedisJtiStore } from './link/redis-jti.js';

export interface RunningAgent {
  provider: string;
  httpPort: number;
  index: CallIndex;
  /** The DNO snapshot every INVITE is decided with, kept current in the background. */
  dno: LiveDno;
  /** The SIP policy server; null when no `sip.listen` address is configured. */
  sip: PolicyServer | null;
  stop(): Promise<void>;
}

export async function startAgent(cfg: AgentConfig, log: Logger): Promise<RunningAgent> {
  const stops: (() => Promise<void>)[] = [];
  // Requests and hop answers under way get half the stop deadline; the rest is for writing batches out.
  const graceMs = cfg.shutdown.timeoutSec * 500;
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.error({ err }, 'stop failed'));
  };
  try {
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });

    const index = openCallIndex({ redisUrl: cfg.redis?.url, retentionDays: cfg.calls.retentionDays, bucketSec: cfg.calls.bucketSec, shards: cfg.calls.shards, cluster: cfg.redis?.cluster });
    stops.push(() => index.close());
    callIndexMetrics(metrics, index);

    const cdr = startCdrSources({ sources: cfg.cdr, redisUrl: cfg.redis?.url, cluster: cfg.redis?.cluster, agent: cfg.provider, index, metrics, log });
    stops.push(() => cdr.stop());

    const ingress = new IngressMap([...cfg.ingress.map, ...(cfg.ingress.file ? loadIngressFile(cfg.ingress.file) : [])]);
    const answer = (q: HopQuery) =>
      answerFromIndex(q, index, { provider: cfg.provider, ingress, now: Date.now(), evidence: cfg.calls.evidence }, cfg.cdr);

    const routes: Route[] = [];
    if (cfg.hub.url) {
      const key = loadKey(cfg);
      const pull = cfg.hub.mode === 'pull';
      // Seen query jtis go to the site's Redis when it has one: every instance, and a restarted one, refuses a replay.
      const jti = cfg.redis?.url ? new RedisJtiStore({ url: cfg.redis.url, cluster: cfg.redis.cluster, provider: cfg.provider }) : undefined;
      if (jti) stops.push(() => jti.close());
      const link = new HubLink({
        hubUrl: cfg.hub.url,
        hubId: cfg.hub.id,
        hubKeys: cfg.hub.publicKeys.map(publicKeyFromRaw),
        provider: cfg.provider,
        key,
        log: log.child({ part: 'link' }),
        handle: answer,
        ...(jti && { jti }),
        // The long poll holds a request open for pollWaitSec: allow it, plus slack.
        ...(pull && { headersTimeoutMs: (cfg.hub.pollWaitSec + 15) * 1000 }),
      });
      stops.push(() => link.close());
      if (pull) {
        const poller = new PullLink(link, { waitSec: cfg.hub.pollWaitSec, log: log.child({ part: 'link' }) });
        poller.start();
        stops.push(() => poller.stop(graceMs));
        log.info({ hub: cfg.hub.url, kid: key.kid }, 'polling the hub for hop queries');
      } else {
        const push = new PushEndpoint(link, log.child({ part: 'link' }));
        routes.push(push.route);
        stops.push(() => push.stop());
        log.info({ hub: cfg.hub.url, kid: key.kid, path: PUSH_PATH }, 'taking hop queries pushed by the hub');
      }
    } else {
      log.info('no hub configured: this site enforces DNO only and answers no hop queries');
    }

    // DNO works without a hub: the local list file and the CO table alone are enough (DESIGN §4); with a hub,
    // one instance of the site syncs its list into the shared cache (agent/dno/start.ts).
    const dnoPart = await startDno(cfg, { metrics, log: log.child({ part: 'dno' }), ...(cfg.hub.url && { key: loadKey(cfg) }) });
    stops.push(() => dnoPart.stop());
    const dno = dnoPart.live;

    // One SHAKEN verifier (the local STI certificate directory) for every SIP call source.
    const shaken = startShaken(cfg.sip.shaken, log.child({ part: 'shaken' }));
    stops.push(async () => shaken.stop());
    const { identity } = shaken;
    const sip = await startSipPolicy(cfg, { dno, index, metrics, log, identity });
    if (sip) stops.push(() => sip.stop());
    const hep = await startHep(cfg, { dno, index, metrics, log, identity });
    if (hep) stops.push(() => hep.stop());
    const drachtio = startDrachtio(cfg, { dno, index, metrics, log, identity });
    if (drachtio) stops.push(() => drachtio.stop());

    const { host, port } = cfg.http.listen;
    const http = await startAgentHttp({ host, port, metrics, ready: [{ name: 'store', ok: () => index.ping() }, { name: 'cdr', ok: () => cdr.ready() }], routes });
    stops.push(() => http.close(graceMs));
    log.info({ provider: cfg.provider, http: `${host}:${http.port}` }, 'agent started');

    return { provider: cfg.provider, httpPort: http.port, index, dno, sip, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Look the call up and answer; a store failure becomes `unavailable`, never `not_found` (DESIGN §8). */
export async function answerFromIndex(q: HopQuery, index: CallIndex, ctx: AnswerContext, cdrSources: readonly CdrSourceSettings[] = []) {
  const w = windowOf(q);
  let lookup: Lookup;
  try {
    const records = await index.lookup(q.call.called, w.from, w.to, MAX_MATCHES * 4);
    lookup = { ok: true, records, evidence: await cdrEvidence(records, cdrSources, ctx.evidence) };
  } catch (err) {
    lookup = { ok: false, reason: `call index unavailable: ${(err as Error).message}` };
  }
  return answerQuery(q, lookup, ctx);
}

function loadKey(cfg: AgentConfig): KeyPair {
  if (!cfg.keys) throw ConfigError.of('keys.privateKeyFile', 'required when hub.url is set');
  return keyPairFromPrivateKey(privateKeyFromPem(readFileSync(cfg.keys.privateKeyFile, 'utf8')), cfg.keys.kid);
}

/**
 * The drachtio-server app as a call source (sip-notes.md §4): drachtio-srf in inbound mode connects to the
 * server's admin port, registers for INVITEs and answers each one with the policy server's decision — the same
 * 302 with Contact or 603/608 with a Q.850 Reason (policy.ts) — then queues the call for the index with source
 * `drachtio` and the network source the server reports as ingress.
 *
 * The calling number comes from the raw message through our own parser: drachtio-srf's `callingNumber` reads
 * PAI with `sips?:(.*?)@` and returns '' for a `tel:` PAI without falling back to From (sip-notes.md §4.5).
 * srf reconnects by itself after a lost connection; the app only logs it.
 */
import type { EventEmitter } from 'node:events';
import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AgentConfig } from '../../config/agent.js';
import type { CallIndex } from '../calls/store.js';
import type { DnoSnapshot } from '../dno/snapshot.js';
import { attachIdentity, type IdentityOptions } from './identity.js';
import { sipMetrics } from './metrics.js';
import { parseSip } from './parser.js';
import { decideInvite, policyContextOf, type PolicyContext } from './policy.js';
import { CallRecorder, type RecorderOptions } from './recorder.js';

export interface DrachtioAppOptions {
  host: string;
  port: number;
  secret: string;
  /** The policy context made for source 'drachtio'. */
  policy: PolicyContext;
  index: CallIndex;
  log: Logger;
  registry?: Registry;
  identity?: IdentityOptions;
  recorder?: Pick<RecorderOptions, 'batchSize' | 'flushMs' | 'capacity' | 'retryMs' | 'maxRetryMs'>;
  /** Longest wait between reconnection attempts. Default 5 s (srf's own backoff has no ceiling). */
  retryMaxDelayMs?: number;
}

export interface DrachtioApp {
  /** Authenticated to the server now. */
  readonly connected: boolean;
  readonly recorder: CallRecorder;
  stop(): Promise<void>;
}

/** The app as the agent's configuration asks for it; null when no `drachtio` section is set. */
export function startDrachtio(
  cfg: AgentConfig,
  parts: { dno: { readonly snapshot: DnoSnapshot }; index: CallIndex; metrics: Registry; log: Logger; identity: IdentityOptions },
): DrachtioApp | null {
  if (!cfg.drachtio) return null;
  const { host, port, secret } = cfg.drachtio;
  return startDrachtioApp({
    host,
    port,
    secret,
    policy: policyContextOf(cfg, parts.dno, 'drachtio'),
    index: parts.index,
    registry: parts.metrics,
    log: parts.log,
    identity: parts.identity,
  });
}

export function startDrachtioApp(o: DrachtioAppOptions): DrachtioApp {
  const log = o.log.child({ part: 'drachtio' });
  const metrics = o.registry ? sipMetrics(o.registry) : undefined;
  const recorder = new CallRecorder({ index: o.index, log, ...(metrics && { metrics }), ...o.recorder });
  const unprobe = metrics?.queueProbe(() => recorder.queued);
  const source = o.policy.source;
  let connected = false;

  const srf = new Srf();
  srf.on('connect', (err, hostport) => {
    connected = !err;
    if (err) log.error({ err, server: `${o.host}:${o.port}` }, 'drachtio-server refused the connection');
    else log.info({ server: `${o.host}:${o.port}`, hostport }, 'connected to drachtio-server: taking INVITEs');
  });
  srf.on('error', (err) => {
    connected = false;
    log.warn({ err, server: `${o.host}:${o.port}` }, 'drachtio-server connection failed: retrying');
  });
  // srf re-emits the wire protocol's 'close' (its types only declare 'disconnect').
  (srf as unknown as EventEmitter).on('close', () => (connected = false));

  srf.invite((req, res) => {
    try {
      const parsed = parseSip(Buffer.from(req.msg.raw, 'utf8'));
      if (!parsed.ok) {
        // drachtio-server parsed it already; our stricter parser may still refuse it. The transaction needs an answer.
        metrics?.parseError(source, parsed.error.code);
        res.send(typeof parsed.error.code === 'number' ? parsed.error.code : 400, parsed.error.reason, {});
        return;
      }
      const msg = parsed.msg;
      const answer = decideInvite(msg, { address: req.source_address, port: Number(req.source_port), at: Date.now() }, o.policy);
      res.send(answer.status, answer.reason, { headers: Object.fromEntries(answer.headers) });
      metrics?.invite(source, answer.decision);
      const { decision, record } = answer;
      if (record) {
        if (o.identity) attachIdentity(record, msg.identity(), o.identity);
        recorder.push(record);
      }
      // domain.md §2.5: every block is logged with what matched, for audit and redress.
      if (decision.action !== 'continue') {
        log.info(
          { action: decision.action, category: decision.category, rule: decision.rule, calling: answer.calling?.e164 ?? answer.calling?.raw, called: record?.called, callId: record?.callId, status: answer.status },
          decision.action === 'block' ? 'DNO block' : 'DNO monitor',
        );
      }
    } catch (err) {
      // Not expected (every step is total); the app must keep serving.
      log.error({ err }, 'drachtio INVITE handling failed');
    }
  });

  srf.connect({ host: o.host, port: o.port, secret: o.secret, reconnect: { retryMaxDelay: o.retryMaxDelayMs ?? 5_000 } } as Srf.SrfConfig);

  return {
    get connected() {
      return connected;
    },
    recorder,
    async stop() {
      disconnect(srf);
      connected = false;
      await recorder.stop();
      unprobe?.();
    },
  };
}

interface WireProtocol {
  closing?: boolean;
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
}

/**
 * srf.disconnect() throws when no socket is up and leaves a pending reconnection timer running: mark the wire
 * protocol as closing (what disconnect does) and clear the timer, so a stopped agent leaves nothing behind.
 */
function disconnect(srf: Srf): void {
  const wp = (srf as unknown as { _app: { wp?: WireProtocol } })._app.wp;
  if (wp) {
    wp.closing = true;
    if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
  }
  try {
    srf.disconnect();
  } catch {
    // Not connected: nothing to close.
  }
}

/**
 * The SIP policy (redirect) server as a call source: the UDP and TCP listeners an SBC sends INVITEs to, each
 * message answered at once by the stateless responder, then counted, logged when DNO stopped or flagged the
 * call, and queued for the call index. Nothing asynchronous happens before an answer is sent.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AgentConfig } from '../../config/agent.js';
import type { ListenAddress } from '../../config/listen.js';
import type { CallIndex } from '../calls/store.js';
import type { DnoSnapshot } from '../dno/snapshot.js';
import { attachIdentity, type IdentityOptions } from './identity.js';
import { sipMetrics, type SipMetrics } from './metrics.js';
import type { SipMessage } from './parser.js';
import { policyContextOf, type InviteAnswer, type PolicyContext } from './policy.js';
import { CallRecorder, type RecorderOptions } from './recorder.js';
import { answerSip, type SipTransport } from './responder.js';
import { admitFrom, warnIfOpen } from './source-filter.js';
import { startTcpListener, type TcpListenerOptions } from './tcp.js';
import { startUdpListener, type SipHandler, type SipListener, type SipPeer } from './udp.js';

export interface PolicyServerOptions {
  listen: readonly ListenAddress[];
  recvBufferBytes: number;
  /** UDP SO_SNDBUF requested; absent: the system default. */
  sendBufferBytes?: number;
  policy: PolicyContext;
  index: CallIndex;
  metrics: SipMetrics;
  log: Logger;
  /** Networks (canonical CIDRs) whose datagrams and connections are taken; absent: every source. */
  allowFrom?: readonly string[];
  tcp?: Pick<TcpListenerOptions, 'idleMs' | 'maxMessageBytes' | 'maxConnections' | 'maxBacklogBytes'>;
  recorder?: Pick<RecorderOptions, 'batchSize' | 'flushMs' | 'capacity' | 'retryMs' | 'maxRetryMs'>;
  /** Decode (and verify, with certificates) the SHAKEN Identity of each learned call; absent: not recorded. */
  identity?: IdentityOptions;
}

export interface PolicyServer {
  readonly listeners: readonly SipListener[];
  readonly recorder: CallRecorder;
  stop(): Promise<void>;
}

/** The policy server as the agent's configuration asks for it; null when no `sip.listen` address is set. */
export async function startSipPolicy(
  cfg: AgentConfig,
  parts: { dno: { readonly snapshot: DnoSnapshot }; index: CallIndex; metrics: Registry; log: Logger; identity?: IdentityOptions },
): Promise<PolicyServer | null> {
  if (cfg.sip.listen.length === 0) return null;
  return startPolicyServer({
    listen: cfg.sip.listen,
    recvBufferBytes: cfg.sip.recvBufferBytes,
    sendBufferBytes: cfg.sip.sendBufferBytes,
    ...(cfg.sip.allowFrom && { allowFrom: cfg.sip.allowFrom }),
    tcp: { maxMessageBytes: cfg.sip.tcp.maxMessageBytes, idleMs: cfg.sip.tcp.idleSec * 1000, maxConnections: cfg.sip.tcp.maxConnections },
    policy: policyContextOf(cfg, parts.dno, 'sip'),
    index: parts.index,
    metrics: sipMetrics(parts.metrics),
    log: parts.log.child({ part: 'sip' }),
    ...(parts.identity && { identity: parts.identity }),
  });
}

export async function startPolicyServer(o: PolicyServerOptions): Promise<PolicyServer> {
  const log = o.log;
  const recorder = new CallRecorder({ index: o.index, log, metrics: o.metrics, ...o.recorder });
  const unprobe = o.metrics.queueProbe(() => recorder.queued);
  const listeners: SipListener[] = [];
  const stop = async () => {
    await Promise.all(listeners.map((l) => l.close()));
    await recorder.stop();
    unprobe();
  };
  try {
    for (const address of o.listen) {
      const handle = handler(address.transport, o);
      warnIfOpen(address, o.allowFrom, 'sip.allowFrom', log);
      const admit = admitFrom(o.allowFrom, () => o.metrics.refused(o.policy.source, address.transport, 'not_allowed'));
      const common = { host: address.host, port: address.port, handle, log, ...(admit && { admit }) };
      listeners.push(
        address.transport === 'udp'
          ? await startUdpListener({ ...common, recvBufferBytes: o.recvBufferBytes, ...(o.sendBufferBytes !== undefined && { sendBufferBytes: o.sendBufferBytes }) })
          : await startTcpListener({ ...common, ...o.tcp, onClose: (reason) => o.metrics.tcpClosed(reason) }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { listeners, recorder, stop };

  function handler(transport: SipTransport, { policy, metrics }: PolicyServerOptions): SipHandler {
    return (message, from, reply) => {
      const started = performance.now();
      try {
        const answer = answerSip(message, { address: from.address, port: from.port, at: Date.now() }, transport, policy);
        if (answer.response) {
          reply(answer.response, from);
          metrics.responseTime((performance.now() - started) / 1000);
        }
        if (answer.method !== undefined) metrics.request(policy.source, answer.method);
        if (answer.invite) learn(answer.invite, answer.message as SipMessage, from);
        else if (answer.parseError) metrics.parseError(policy.source, answer.parseError.code);
      } catch (err) {
        // Not expected (every step is total); the listener must keep serving whatever arrives.
        log.error({ err, from }, 'SIP message handling failed');
      }
    };

    /** After the answer is sent: count, verify the identity (an ES256 check is not for the answer path), queue, log. */
    function learn(invite: InviteAnswer, message: SipMessage, from: SipPeer): void {
      const { decision, record } = invite;
      metrics.invite(policy.source, decision);
      if (record) {
        if (o.identity) attachIdentity(record, message.identity(), o.identity);
        recorder.push(record);
      }
      // domain.md §2.5: every block is logged with what matched, for audit and redress.
      if (decision.action !== 'continue') {
        log.info(
          {
            action: decision.action,
            category: decision.category,
            rule: decision.rule,
            listVersion: decision.listVersion,
            calling: invite.calling?.e164 ?? invite.calling?.raw,
            called: record?.called,
            callId: record?.callId,
            from: `${from.address}:${from.port}`,
            status: invite.status,
          },
          decision.action === 'block' ? 'DNO block' : 'DNO monitor',
        );
      }
    }
  }
}

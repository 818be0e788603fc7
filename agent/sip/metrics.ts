/**
 * Prometheus metrics of the SIP call sources (policy server, HEP collector, drachtio app), labelled by source.
 * Made once per registry; labelled children are looked up once and kept, so counting an INVITE on the response
 * path costs a few property reads, not a label hash.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CallSource } from '../../proto/messages.js';
import type { Decision } from '../dno/decide.js';
import type { SipParseError } from './parser.js';

export type TcpCloseReason = 'oversize' | 'framing' | 'idle' | 'backlog' | 'evicted';
/** Why traffic was dropped unread: a source outside `allowFrom`, a HEP packet without the right auth key. */
export type RefusedReason = 'not_allowed' | 'bad_auth';

export interface SipMetrics {
  /** One decided INVITE: its action (continue, block, monitor) and DNO category ('none' when none matched). */
  invite(source: CallSource, decision: Decision): void;
  /** One well-formed request, by method (INVITE, ACK, OPTIONS, CANCEL; any other counts as other). */
  request(source: CallSource, method: string): void;
  parseError(source: CallSource, code: SipParseError['code']): void;
  /** Seconds from the message's arrival to its answer being handed to the socket. */
  responseTime(seconds: number): void;
  /** Calls acknowledged by the call index. */
  recorded(n: number): void;
  /** Calls never indexed: the queue overflowed while the store was down, or the index refused the record. */
  dropped(reason: 'overflow' | 'refused', n: number): void;
  tcpClosed(reason: TcpCloseReason): void;
  /** One datagram, HEP packet or TCP connection dropped without an answer. */
  refused(source: CallSource, transport: 'udp' | 'tcp', reason: RefusedReason): void;
  /** Report a recorder's queue length when scraped, until the returned function is called. */
  queueProbe(probe: () => number): () => void;
}

const ACTIONS = ['continue', 'block', 'monitor'] as const;
const METHODS = ['INVITE', 'ACK', 'OPTIONS', 'CANCEL'] as const;
const CATEGORIES = ['none', 'listed', 'invalid', 'unallocated', 'unassigned'] as const;
/** The counted methods as an object without a prototype, so that `method in` is a safe hash lookup. */
const METHOD_INDEX: Readonly<Record<string, true>> = Object.assign(Object.create(null) as Record<string, true>, Object.fromEntries(METHODS.map((m) => [m, true])));
type InviteChildren = Record<string, Record<string, Counter.Internal>>;

const perRegistry = new WeakMap<Registry, SipMetrics>();

export function sipMetrics(registry: Registry): SipMetrics {
  let m = perRegistry.get(registry);
  if (!m) perRegistry.set(registry, (m = createMetrics(registry)));
  return m;
}

function createMetrics(registry: Registry): SipMetrics {
  const registers = [registry];
  const invites = new Counter({
    name: 'hoptrace_sip_invites_total',
    help: 'INVITEs decided (retransmissions included), by call source, action (continue, block, monitor) and DNO category (none when no list matched)',
    labelNames: ['source', 'action', 'category'],
    registers,
  });
  const requests = new Counter({
    name: 'hoptrace_sip_requests_total',
    help: 'Well-formed SIP requests received, by call source and method (INVITE, ACK, OPTIONS, CANCEL, other)',
    labelNames: ['source', 'method'],
    registers,
  });
  const parseErrors = new Counter({
    name: 'hoptrace_sip_parse_errors_total',
    help: 'SIP messages that did not parse, by call source and the answer they got (400, 416, 501, 505, or drop)',
    labelNames: ['source', 'code'],
    registers,
  });
  const responseSeconds = new Histogram({
    name: 'hoptrace_sip_response_seconds',
    help: 'Time from a SIP message arriving at the policy server to its answer being sent',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers,
  });
  const recorded = new Counter({ name: 'hoptrace_sip_calls_recorded_total', help: 'Calls seen in SIP and acknowledged by the call index', registers });
  const dropped = new Counter({
    name: 'hoptrace_sip_calls_dropped_total',
    help: 'Calls seen in SIP but never indexed: overflow (queue full while the store was down) or refused (bad record)',
    labelNames: ['reason'],
    registers,
  });
  const tcpClosed = new Counter({
    name: 'hoptrace_sip_tcp_closed_total',
    help: 'SIP TCP connections closed by the server: oversize message, broken framing, idle, backlog (answers not read), evicted (at the connection limit, never having completed a message)',
    labelNames: ['reason'],
    registers,
  });
  const refused = new Counter({
    name: 'hoptrace_sip_refused_total',
    help: 'Datagrams, HEP packets and TCP connections dropped silently, by call source, transport and reason: not_allowed (source not in allowFrom), bad_auth (HEP auth key missing or wrong)',
    labelNames: ['source', 'transport', 'reason'],
    registers,
  });
  const probes = new Set<() => number>();
  new Gauge({
    name: 'hoptrace_sip_record_queue',
    help: 'Calls seen in SIP waiting to be written to the call index',
    registers,
    collect() {
      let queued = 0;
      for (const probe of probes) queued += probe();
      this.set(queued);
    },
  });

  const inviteChildren = new Map<string, InviteChildren>();
  const childrenOf = (source: string): InviteChildren => {
    let children = inviteChildren.get(source);
    if (!children) {
      children = {};
      for (const action of ACTIONS) {
        const byCategory: Record<string, Counter.Internal> = (children[action] = {});
        for (const category of CATEGORIES) byCategory[category] = invites.labels(source, action, category);
      }
      inviteChildren.set(source, children);
    }
    return children;
  };

  const requestChildren = new Map<string, Record<string, Counter.Internal>>();
  const requestChildrenOf = (source: string): Record<string, Counter.Internal> => {
    let children = requestChildren.get(source);
    if (!children) {
      children = {};
      for (const method of [...METHODS, 'other']) children[method] = requests.labels(source, method);
      requestChildren.set(source, children);
    }
    return children;
  };

  return {
    invite: (source, decision) => childrenOf(source)[decision.action]![decision.category ?? 'none']!.inc(),
    request: (source, method) => requestChildrenOf(source)[method in METHOD_INDEX ? method : 'other']!.inc(),
    parseError: (source, code) => parseErrors.labels(source, String(code)).inc(),
    responseTime: (seconds) => responseSeconds.observe(seconds),
    recorded: (n) => recorded.inc(n),
    dropped: (reason, n) => dropped.labels(reason).inc(n),
    tcpClosed: (reason) => tcpClosed.labels(reason).inc(),
    refused: (source, transport, reason) => refused.labels(source, transport, reason).inc(),
    queueProbe: (probe) => {
      const own = () => probe();
      probes.add(own);
      return () => void probes.delete(own);
    },
  };
}

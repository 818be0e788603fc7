/**
 * The HEP collector as a call source: SBCs and proxies mirror their SIP to it (Kamailio siptrace, FreeSWITCH
 * capture-server, Asterisk res_hep, …; sip-notes.md §5). Each initial INVITE is learned like the policy server
 * learns one — same record (policy.ts), ingress = the mirrored packet's source address and port from the HEP
 * chunks — and queued for the call index. Passive: it never sends anything back, and a bad packet is counted,
 * never fatal. UDP (one datagram, one packet) or TCP (packets framed by their length).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { AgentConfig } from '../../config/agent.js';
import type { ListenAddress } from '../../config/listen.js';
import type { CallIndex } from '../calls/store.js';
import type { DnoSnapshot } from '../dno/snapshot.js';
import { captureTimeMs, decodeHep, HepError, HepFramer } from './hep.js';
import { attachIdentity, type IdentityOptions } from './identity.js';
import { sipMetrics, type SipMetrics } from './metrics.js';
import { parseSip } from './parser.js';
import { policyContextOf, type PolicyContext, recordInvite } from './policy.js';
import { CallRecorder, type RecorderOptions } from './recorder.js';

/** What became of a received packet. */
export type HepOutcome = 'invite' | 'other' | 'not_sip' | 'bad_hep' | 'bad_sip';
const OUTCOMES: readonly HepOutcome[] = ['invite', 'other', 'not_sip', 'bad_hep', 'bad_sip'];

export interface HepCollectorOptions {
  listen: ListenAddress;
  /** Requested SO_RCVBUF: mirrored traffic comes in bursts, and a full buffer loses calls silently. Default 8 MiB. */
  recvBufferBytes?: number;
  /** The policy context made for source 'hep': only the record of its decision is used, nothing is answered. */
  policy: PolicyContext;
  index: CallIndex;
  log: Logger;
  /** Metrics registry: packet outcomes, SIP parse errors, recorder counts. */
  registry?: Registry;
  identity?: IdentityOptions;
  recorder?: Pick<RecorderOptions, 'batchSize' | 'flushMs' | 'capacity' | 'retryMs' | 'maxRetryMs'>;
  /** TCP connections closed after this long without a byte. Default 120 s. */
  idleMs?: number;
}

export interface HepCollector {
  readonly host: string;
  readonly port: number;
  /** Packets received so far by outcome. */
  readonly counts: Readonly<Record<HepOutcome, number>>;
  readonly recorder: CallRecorder;
  stop(): Promise<void>;
}

const PAYLOAD_SIP = 1;
/** A mirrored INVITE is often seen again (UDP retransmissions, one packet captured twice): one record per key. */
const REPEAT_WINDOW_MS = 32_000;

/** The collector as the agent's configuration asks for it; null when no `hep.listen` address is set. */
export async function startHep(
  cfg: AgentConfig,
  parts: { dno: { readonly snapshot: DnoSnapshot }; index: CallIndex; metrics: Registry; log: Logger; identity: IdentityOptions },
): Promise<HepCollector | null> {
  if (!cfg.hep.listen) return null;
  return startHepCollector({
    listen: cfg.hep.listen,
    recvBufferBytes: cfg.sip.recvBufferBytes,
    policy: policyContextOf(cfg, parts.dno, 'hep'),
    index: parts.index,
    registry: parts.metrics,
    log: parts.log,
    identity: parts.identity,
  });
}

export async function startHepCollector(o: HepCollectorOptions): Promise<HepCollector> {
  const log = o.log.child({ part: 'hep' });
  const metrics = o.registry ? sipMetrics(o.registry) : undefined;
  const counted = o.registry ? outcomeCounter(o.registry) : undefined;
  const counts = Object.fromEntries(OUTCOMES.map((k) => [k, 0])) as Record<HepOutcome, number>;
  const recorder = new CallRecorder({ index: o.index, log, ...(metrics && { metrics }), ...o.recorder });
  const unprobe = metrics?.queueProbe(() => recorder.queued);
  const seen = new RecentKeys(REPEAT_WINDOW_MS);

  const count = (outcome: HepOutcome, detail?: string) => {
    counts[outcome]++;
    counted?.[outcome].inc();
    if (detail !== undefined) log.debug({ outcome, detail }, 'HEP packet not learned');
  };

  const handle = (packet: Buffer) => {
    try {
      learn(packet);
    } catch (err) {
      // Not expected (every step is total); the collector must keep taking packets.
      log.error({ err }, 'HEP packet handling failed');
    }
  };

  function learn(packet: Buffer): void {
    const hep = decodeHep(packet);
    if (hep instanceof HepError) return count('bad_hep', hep.reason);
    if (hep.payloadType !== undefined && hep.payloadType !== PAYLOAD_SIP) return count('not_sip');
    if (hep.srcIp === undefined || hep.srcPort === undefined) return count('bad_hep', 'no source address or port chunk');
    const parsed = parseSip(hep.payload);
    if (!parsed.ok) {
      metrics?.parseError(o.policy.source, parsed.error.code);
      return count('bad_sip', parsed.error.reason);
    }
    const msg = parsed.msg;
    // Initial INVITEs only: a re-INVITE (To tag) or anything else is not a new call.
    if (msg.method !== 'INVITE' || msg.to()?.params.has('tag')) return count('other');
    const key = `${msg.callId()}\n${msg.cseq()?.seq}\n${hep.srcIp}\n${hep.srcPort}`;
    const now = Date.now();
    if (!seen.add(key, now)) return count('other');
    const at = captureTimeMs(hep) ?? now;
    const record = recordInvite(msg, { address: hep.srcIp, port: hep.srcPort, at }, o.policy);
    if (!record) return count('other', 'called number is not E.164');
    if (o.identity) attachIdentity(record, msg.identity(), o.identity);
    recorder.push(record);
    count('invite');
  }

  let close: () => Promise<void>;
  let port: number;
  try {
    ({ close, port } = o.listen.transport === 'udp' ? await listenUdp(o, handle, log) : await listenTcp(o, handle, () => count('bad_hep', 'TCP stream lost its HEP framing'), log));
  } catch (err) {
    await recorder.stop();
    unprobe?.();
    throw err;
  }
  log.info({ listen: `${o.listen.transport}:${o.listen.host}:${port}` }, 'HEP collector listening');
  return {
    host: o.listen.host,
    port,
    counts,
    recorder,
    async stop() {
      await close();
      await recorder.stop();
      unprobe?.();
    },
  };
}

type Listening = { close: () => Promise<void>; port: number };

async function listenUdp(o: HepCollectorOptions, handle: (packet: Buffer) => void, log: Logger): Promise<Listening> {
  const wanted = o.recvBufferBytes ?? 8 * 1024 * 1024;
  const socket = dgram.createSocket({ type: net.isIP(o.listen.host) === 6 ? 'udp6' : 'udp4', recvBufferSize: wanted });
  socket.on('message', handle);
  socket.on('error', (err) => log.warn({ err }, 'HEP socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(o.listen.port, o.listen.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // Linux doubles the request and caps it at net.core.rmem_max (sip-notes.md §3).
  const got = socket.getRecvBufferSize();
  if (got < wanted) log.warn({ wanted, got }, 'HEP receive buffer smaller than configured: raise net.core.rmem_max');
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

async function listenTcp(o: HepCollectorOptions, handle: (packet: Buffer) => void, lostFraming: () => void, log: Logger): Promise<Listening> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setTimeout(o.idleMs ?? 120_000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    const framer = new HepFramer();
    socket.on('data', (chunk: Buffer) => {
      const packets = framer.push(chunk);
      if (packets instanceof HepError) {
        lostFraming();
        socket.destroy();
        return;
      }
      for (const packet of packets) handle(packet);
    });
  });
  server.on('error', (err) => log.warn({ err }, 'HEP TCP server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const counters = new WeakMap<Registry, Record<HepOutcome, Counter.Internal>>();

function outcomeCounter(registry: Registry): Record<HepOutcome, Counter.Internal> {
  let children = counters.get(registry);
  if (!children) {
    const counter = new Counter({
      name: 'hoptrace_hep_packets_total',
      help: 'HEP packets received, by outcome: invite (learned), other (SIP but not a new call), not_sip, bad_hep, bad_sip',
      labelNames: ['outcome'],
      registers: [registry],
    });
    children = Object.fromEntries(OUTCOMES.map((k) => [k, counter.labels(k)])) as Record<HepOutcome, Counter.Internal>;
    counters.set(registry, children);
  }
  return children;
}

/** Keys seen in the last `windowMs` of local time (two generations of sets: memory bounded by two windows' traffic). */
class RecentKeys {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt = 0;

  constructor(private readonly windowMs: number) {}

  /** false when the key was seen within the window. */
  add(key: string, now: number): boolean {
    if (now - this.rotatedAt >= this.windowMs) {
      this.previous = this.current;
      this.current = new Set();
      this.rotatedAt = now;
    }
    if (this.current.has(key) || this.previous.has(key)) return false;
    this.current.add(key);
    return true;
  }
}

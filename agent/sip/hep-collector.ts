/**
 * The HEP collector as a call source: SBCs and proxies mirror their SIP to it (Kamailio siptrace, FreeSWITCH
 * capture-server, Asterisk res_hep, …; sip-notes.md §5). Each initial INVITE is learned like the policy server
 * learns one — same record (policy.ts), ingress = the mirrored packet's source address and port from the HEP
 * chunks — and queued for the call index. Passive: it never sends anything back, and a bad packet is counted,
 * never fatal. UDP (one datagram, one packet) or TCP (packets framed by their length).
 *
 * Who may feed it: `allowFrom` (by the capture agent's address, not the source a packet claims) and `authKey`
 * (HEP chunk 14, the capture password); what fails either is dropped and counted (hoptrace_sip_refused_total).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { AgentConfig } from '../../config/agent.js';
import type { ListenAddress } from '../../config/listen.js';
import type { CallIndex } from '../calls/store.js';
import type { DnoSnapshot } from '../dno/snapshot.js';
import { captureTimeMs, decodeHep, HepError, HepFramer, type HepPacket } from './hep.js';
import { attachIdentity, type IdentityOptions } from './identity.js';
import { ConnectionLimit } from './connection-limit.js';
import { type RefusedReason, sipMetrics, type SipMetrics } from './metrics.js';
import { parseSip } from './parser.js';
import { policyContextOf, type PolicyContext, recordInvite } from './policy.js';
import { CallRecorder, type RecorderOptions } from './recorder.js';
import { type AddressTest, admitFrom, warnIfOpen } from './source-filter.js';

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
  /** TCP connections open at once, as for SIP over TCP (connection-limit.ts). Default 2,048. */
  maxConnections?: number;
  /** Networks (canonical CIDRs) of the capture agents whose packets are taken; absent: every source. */
  allowFrom?: readonly string[];
  /** The capture password every packet must carry in its auth key chunk; absent: not checked. */
  authKey?: string;
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
    idleMs: cfg.hep.tcp.idleSec * 1000,
    maxConnections: cfg.hep.tcp.maxConnections,
    ...(cfg.hep.allowFrom && { allowFrom: cfg.hep.allowFrom }),
    ...(cfg.hep.authKey !== undefined && { authKey: cfg.hep.authKey }),
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
  const transport = o.listen.transport;
  const refused = (reason: RefusedReason) => metrics?.refused(o.policy.source, transport, reason);
  const admit = admitFrom(o.allowFrom, () => refused('not_allowed'));
  const authentic = o.authKey === undefined ? undefined : authKeyTest(o.authKey);

  const count = (outcome: HepOutcome, detail?: string) => {
    counts[outcome]++;
    counted?.[outcome].inc();
    if (detail !== undefined) log.debug({ outcome, detail }, 'HEP packet not learned');
  };

  /** Takes one packet; true when it is genuine HEP from a capture agent (with the auth key): the sender proved itself. */
  const handle = (packet: Buffer): boolean => {
    try {
      const hep = decodeHep(packet);
      if (hep instanceof HepError) return (count('bad_hep', hep.reason), false);
      if (authentic && !authentic(hep.authKey)) return (refused('bad_auth'), false);
      learn(hep);
      return true;
    } catch (err) {
      // Not expected (every step is total); the collector must keep taking packets.
      log.error({ err }, 'HEP packet handling failed');
      return false;
    }
  };

  function learn(hep: HepPacket): void {
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

  warnIfOpen(o.listen, o.allowFrom, 'hep.allowFrom', log);
  let close: () => Promise<void>;
  let port: number;
  try {
    ({ close, port } =
      transport === 'udp' ? await listenUdp(o, handle, admit, log) : await listenTcp(o, handle, admit, () => count('bad_hep', 'TCP stream lost its HEP framing'), log));
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

async function listenUdp(o: HepCollectorOptions, handle: (packet: Buffer) => boolean, admit: AddressTest | undefined, log: Logger): Promise<Listening> {
  const wanted = o.recvBufferBytes ?? 8 * 1024 * 1024;
  const socket = dgram.createSocket({ type: net.isIP(o.listen.host) === 6 ? 'udp6' : 'udp4', recvBufferSize: wanted });
  socket.on('message', (packet, rinfo) => {
    if (!admit || admit(rinfo.address)) handle(packet);
  });
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

async function listenTcp(
  o: HepCollectorOptions,
  handle: (packet: Buffer) => boolean,
  admit: AddressTest | undefined,
  lostFraming: () => void,
  log: Logger,
): Promise<Listening> {
  const limit = new ConnectionLimit(o.maxConnections ?? 2_048, () => log.debug('HEP TCP connection evicted at the connection limit'));
  const server = net.createServer((socket) => {
    if (admit && !admit(socket.remoteAddress ?? '')) return void socket.destroy();
    if (!limit.admit(socket)) return;
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
      // Only a genuine packet protects the connection from eviction: junk or a wrong auth key does not.
      for (const packet of packets) if (handle(packet)) limit.proven(socket);
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
        limit.destroyAll();
        server.close(() => resolve());
      }),
  };
}

/** Compared as SHA-256 digests: constant time, and the key's length is not given away either. */
function authKeyTest(key: string): (given: Buffer | undefined) => boolean {
  const wanted = createHash('sha256').update(key, 'utf8').digest();
  return (given) => given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), wanted);
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

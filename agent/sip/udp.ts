/**
 * The SIP policy server's UDP listener (node:dgram): one datagram is one message (RFC 3261 §18.3); the handler
 * answers it synchronously and the answer goes back to the datagram's source address and port (sip-notes.md §3).
 *
 * The socket's lookup accepts IP literals only and never asks a resolver: answers go to packet sources, which
 * are addresses, and no name found in a message can make the agent send a DNS query (DESIGN §8). It also makes
 * `send` synchronous (the default lookup defers even an IP literal to the next tick).
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';

export interface SipPeer {
  address: string;
  port: number;
}

/** Hands the answer to the transport; UDP sends it to `to`, TCP writes it on the connection it came from. */
export type SipReply = (bytes: Buffer, to: SipPeer) => void;

/** Handles one framed message; must not throw and must call `reply` before any bookkeeping. */
export type SipHandler = (message: Buffer, from: SipPeer, reply: SipReply) => void;

export interface SipListener {
  readonly transport: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface UdpListenerOptions {
  host: string;
  port: number;
  /** Requested SO_RCVBUF: a burst of INVITEs must not be dropped by the kernel before it is read. */
  recvBufferBytes: number;
  /** Requested SO_SNDBUF: answers to a burst must not fail with ENOBUFS/EAGAIN while the kernel drains them. */
  sendBufferBytes?: number;
  handle: SipHandler;
  /** false: a datagram from this address is dropped unanswered (the caller counts it). Absent: all taken. */
  admit?: (address: string) => boolean;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export class UnresolvableHostError extends Error {
  override readonly name = 'UnresolvableHostError';
  constructor(readonly host: string) {
    super(`${host} is not an IP address: SIP answers go to packet sources only, names are never resolved`);
  }
}

type LookupCallback = (err: Error | null, address: string, family: number) => void;

/** dgram calls this with (host, family, callback); answering synchronously sends without waiting a tick. */
function literalOnly(host: string, _family: unknown, callback: LookupCallback): void {
  const family = isIP(host);
  if (family === 0) callback(new UnresolvableHostError(host), '', 0);
  else callback(null, host, family);
}

export async function startUdpListener(o: UdpListenerOptions): Promise<SipListener> {
  const type = isIP(o.host) === 6 ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({
    type,
    recvBufferSize: o.recvBufferBytes,
    ...(o.sendBufferBytes !== undefined && { sendBufferSize: o.sendBufferBytes }),
    lookup: literalOnly as never,
  });
  const reply: SipReply = (bytes, to) => {
    try {
      socket.send(bytes, to.port, to.address);
    } catch (err) {
      // A source port of 0 or a closed socket: nothing to answer; keep serving.
      o.log.warn({ err, to }, 'SIP answer not sent');
    }
  };
  socket.on('message', (msg, rinfo) => {
    if (!o.admit || o.admit(rinfo.address)) o.handle(msg, rinfo, reply);
  });
  // Send failures (ICMP unreachable surfacing as ECONNREFUSED and the like) must never stop the listener.
  socket.on('error', (err) => o.log.warn({ err }, 'SIP UDP socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(o.port, o.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const { port } = socket.address();
  const granted = socket.getRecvBufferSize();
  o.log.info({ listen: `udp:${o.host}:${port}`, recvBufferBytes: granted }, 'SIP policy server listening');
  if (granted < o.recvBufferBytes) {
    o.log.warn(
      { requested: o.recvBufferBytes, granted },
      'UDP receive buffer smaller than configured: raise net.core.rmem_max on the host, or bursts of INVITEs will be dropped',
    );
  }
  return {
    transport: 'udp',
    host: o.host,
    port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

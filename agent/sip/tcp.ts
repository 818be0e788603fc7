/**
 * The SIP policy server's TCP listener. A stream carries messages back to back, framed by Content-Length
 * (RFC 3261 §18.3, mandatory over TCP): one segment may hold several messages and one message may be split
 * across segments. Answers are written on the connection the request came on.
 *
 * A connection is closed, never waited on, when the framing cannot be trusted any more: a message (headers or
 * headers + body) larger than the cap, a missing or malformed Content-Length (the request is answered 400
 * first: after it nothing in the stream can be located), no bytes for `idleMs`, or a peer that sends but does
 * not read its answers (more than `maxBacklogBytes` unsent).
 * A CRLFCRLF keep-alive ping gets a CRLF pong (RFC 5626 §3.5.1).
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { ConnectionLimit } from './connection-limit.js';
import type { TcpCloseReason } from './metrics.js';
import { PartialMessage } from './tcp-partial.js';
import type { SipHandler, SipListener, SipPeer, SipReply } from './udp.js';

export interface TcpListenerOptions {
  host: string;
  port: number;
  handle: SipHandler;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Largest message accepted (start line, headers and body). Default 64 KiB. */
  maxMessageBytes?: number;
  /** Close a connection that sent nothing for this long. Default 120 s (Kamailio's tcp_connection_lifetime). */
  idleMs?: number;
  /** Answers waiting to be sent on one connection beyond which it is closed. Default 1 MiB. */
  maxBacklogBytes?: number;
  /**
   * Connections open at once. Default 2,048. Beyond it a new one closes the oldest that has not completed a
   * message in its first 2 s, or is refused when there is none.
   */
  maxConnections?: number;
  /** false: a new connection from this address is closed unread (the caller counts it). Absent: all taken. */
  admit?: (address: string) => boolean;
  onClose?: (reason: TcpCloseReason) => void;
}

const CR = 13;
const LF = 10;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const PONG = Buffer.from('\r\n', 'latin1');
/** A Content-Length line (long or compact form) of a header section; `g` to see a repeated one. */
const CONTENT_LENGTH = /\r\n(?:content-length|l)[ \t]*:[ \t]*([^\r]*?)[ \t]*(?=\r\n)/gi;

/**
 * Where the next message ends, or why the stream cannot be framed. A wait for the body carries the message's
 * end, so that the bytes still to come need not be framed again.
 */
type Frame = { end: number } | { wait: true; end?: number } | { fault: TcpCloseReason; end?: number };

/**
 * Frames the message starting at `start` (after any keep-alive CRLFs): its end, a wait for more bytes, or a fault.
 * A framing fault carries the header section's end so that the request can still be answered 400.
 */
export function frameMessage(buf: Buffer, start: number, maxBytes: number): Frame {
  const headerEnd = buf.indexOf(HEADER_END, start);
  if (headerEnd < 0) return buf.length - start > maxBytes ? { fault: 'oversize' } : { wait: true };
  const bodyStart = headerEnd + 4;
  if (bodyStart - start > maxBytes) return { fault: 'oversize' };
  // Prefixed CRLF so that the first header line matches like the others.
  const head = '\r\n' + buf.toString('latin1', start, headerEnd + 2);
  let length = -1;
  let seen = 0;
  for (const m of head.matchAll(CONTENT_LENGTH)) {
    seen++;
    length = /^[0-9]{1,10}$/.test(m[1] as string) ? Number(m[1]) : -1;
  }
  if (seen !== 1 || length < 0) return { fault: 'framing', end: bodyStart };
  const end = bodyStart + length;
  if (end - start > maxBytes) return { fault: 'oversize' };
  return end <= buf.length ? { end } : { wait: true, end };
}

export async function startTcpListener(o: TcpListenerOptions): Promise<SipListener> {
  const maxBytes = o.maxMessageBytes ?? 64 * 1024;
  const idleMs = o.idleMs ?? 120_000;
  const limit = new ConnectionLimit(o.maxConnections ?? 2_048, () => o.onClose?.('evicted'));
  const server = net.createServer((socket) => {
    if (o.admit && !o.admit(socket.remoteAddress ?? '')) return void socket.destroy();
    if (!limit.admit(socket)) return;
    const handle: SipHandler = (message, peer, reply) => {
      limit.proven(socket);
      o.handle(message, peer, reply);
    };
    serve(socket, { ...o, handle, maxBytes, idleMs, maxBacklog: o.maxBacklogBytes ?? 1024 * 1024 });
  });
  server.on('error', (err) => o.log.warn({ err }, 'SIP TCP server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;
  o.log.info({ listen: `tcp:${o.host}:${port}` }, 'SIP policy server listening');
  return {
    transport: 'tcp',
    host: o.host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        limit.destroyAll();
        server.close(() => resolve());
      }),
  };
}

interface ConnectionOptions extends TcpListenerOptions {
  maxBytes: number;
  idleMs: number;
  maxBacklog: number;
}

function serve(socket: net.Socket, o: ConnectionOptions): void {
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; the ingress is the IPv4 address.
  const address = (socket.remoteAddress ?? '').replace(/^::ffff:(?=[0-9.]+$)/, '');
  const peer: SipPeer = { address, port: socket.remotePort ?? 0 };
  const reply: SipReply = (bytes) => {
    if (!socket.writable) return;
    socket.write(bytes);
    if (socket.writableLength > o.maxBacklog) close('backlog');
  };
  const close = (reason: TcpCloseReason) => {
    o.onClose?.(reason);
    if (reason === 'framing') socket.end();
    else socket.destroy();
  };
  let partial: PartialMessage | null = null;

  socket.setNoDelay(true);
  socket.setTimeout(o.idleMs, () => close('idle'));
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    if (partial) {
      partial.push(chunk);
      if (!partial.ready(o.maxBytes)) return;
    }
    const buf = partial ? partial.join() : chunk;
    partial = null;
    let pos = 0;
    while (pos < buf.length && !socket.destroyed) {
      const start = skipCrlf(buf, pos);
      if (start - pos >= 4) reply(PONG, peer);
      pos = start;
      if (pos === buf.length) break;
      const frame = frameMessage(buf, pos, o.maxBytes);
      if ('wait' in frame) {
        partial = new PartialMessage(buf.subarray(pos), frame.end === undefined ? undefined : frame.end - pos);
        return;
      }
      if ('fault' in frame) {
        // The handler answers what it can of the head (its parser reports the Content-Length fault).
        if (frame.end !== undefined) o.handle(buf.subarray(pos, frame.end), peer, reply);
        socket.pause();
        close(frame.fault);
        return;
      }
      o.handle(buf.subarray(pos, frame.end), peer, reply);
      pos = frame.end;
    }
  });
}

/** Index of the first byte at or after `pos` that is not CR or LF (RFC 3261 §7.5 ignores CRLFs between messages). */
function skipCrlf(buf: Buffer, pos: number): number {
  while (pos < buf.length && (buf[pos] === CR || buf[pos] === LF)) pos++;
  return pos;
}

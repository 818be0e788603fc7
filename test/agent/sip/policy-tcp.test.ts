/** The TCP listener's Content-Length framing, driven with raw sockets. */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { frameMessage } from '../../../agent/sip/tcp.js';
import { startHarness, statusOf, type Harness } from './policy-harness.js';
import { baseWith, sip } from './messages.js';

const MAX = 4_096;
const IDLE_MS = 300;

/** A TCP INVITE from `caller` with a body of `bodyBytes` and its Content-Length. */
function tcpInvite(caller: string, callId: string, body = ''): Buffer {
  return sip(
    [
      'INVITE sip:+12025550143@127.0.0.1;user=phone SIP/2.0',
      ...baseWith('via', 'Via: SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bK-t').filter((h) => !/^(From|Call-ID)/.test(h)),
      `From: <sip:${caller}@127.0.0.1;user=phone>;tag=t1`,
      `Call-ID: ${callId}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
    ],
    body,
  );
}

interface Conn {
  socket: net.Socket;
  /** Every complete SIP response read so far (framed by Content-Length: 0, as the server writes them). */
  responses: Buffer[];
  raw(): Buffer;
  closed: Promise<void>;
  waitFor(count: number, ms?: number): Promise<Buffer[]>;
}

const open: net.Socket[] = [];

async function connect(port: number): Promise<Conn> {
  const socket = net.connect(port, '127.0.0.1');
  open.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let bytes = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (bytes = Buffer.concat([bytes, d])));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const responses = () =>
    bytes
      .toString('latin1')
      .split(/(?=SIP\/2\.0 )/)
      .filter((r) => r.startsWith('SIP/2.0 '))
      .map((r) => Buffer.from(r, 'latin1'));
  return {
    socket,
    get responses() {
      return responses();
    },
    raw: () => bytes,
    closed,
    async waitFor(count, ms = 3_000) {
      const until = Date.now() + ms;
      while (responses().length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      return responses();
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const callIdOf = (b: Buffer) => /\r\nCall-ID: ([^\r]*)\r\n/.exec(b.toString('latin1'))?.[1];

let harness: Harness;
let port: number;
beforeAll(async () => {
  harness = await startHarness({ transports: ['tcp'], tcp: { maxMessageBytes: MAX, idleMs: IDLE_MS, maxBacklogBytes: 64 * 1024 } });
  port = harness.port('tcp');
});
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
});
afterAll(() => harness.stop());

describe('the policy server over TCP', () => {
  it('answers several messages coalesced into one segment, in order', async () => {
    const c = await connect(port);
    c.socket.write(Buffer.concat([tcpInvite('+12025550100', 'co-1'), tcpInvite('+13015550000', 'co-2'), tcpInvite('+12925550100', 'co-3', 'v=0\r\n')]));
    const rs = await c.waitFor(3);
    expect(rs.map((r) => [statusOf(r), callIdOf(r)])).toEqual([
      [603, 'co-1'],
      [302, 'co-2'],
      [603, 'co-3'],
    ]);
  });

  it('answers a message split across segments anywhere, even inside Content-Length and the body', async () => {
    const c = await connect(port);
    const message = tcpInvite('+12025550100', 'split-1', 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n');
    const text = message.toString('latin1');
    const cuts = [5, text.indexOf('Content-Length: ') + 10, text.indexOf('\r\n\r\n') + 1, text.indexOf('\r\n\r\n') + 9, message.length];
    let from = 0;
    for (const cut of cuts) {
      c.socket.write(message.subarray(from, cut));
      from = cut;
      await pause(20);
      if (cut < message.length) expect(c.responses).toEqual([]);
    }
    const rs = await c.waitFor(1);
    expect(rs.map((r) => [statusOf(r), callIdOf(r)])).toEqual([[603, 'split-1']]);
  });

  it('answers a message dripped one byte per write, then the next one sent whole', async () => {
    const c = await connect(port);
    const message = tcpInvite('+12025550100', 'drip-1', 'v'.repeat(2_000));
    for (const byte of message) await new Promise((resolve) => c.socket.write(Buffer.of(byte), resolve));
    c.socket.write(tcpInvite('+13015550000', 'drip-2'));
    expect((await c.waitFor(2)).map((r) => [statusOf(r), callIdOf(r)])).toEqual([
      [603, 'drip-1'],
      [302, 'drip-2'],
    ]);
  });

  it('answers a message whose body ends in the same segment that starts the next one', async () => {
    const c = await connect(port);
    const both = Buffer.concat([tcpInvite('+13015550000', 'mix-1', 'abc'), tcpInvite('+13015550001', 'mix-2')]);
    const cut = both.indexOf('mix-2');
    c.socket.write(both.subarray(0, cut));
    await pause(20);
    c.socket.write(both.subarray(cut));
    expect((await c.waitFor(2)).map(callIdOf)).toEqual(['mix-1', 'mix-2']);
  });

  it('answers a CRLFCRLF keep-alive ping with a CRLF pong and keeps the connection', async () => {
    const c = await connect(port);
    c.socket.write('\r\n\r\n');
    await pause(50);
    expect(c.raw().toString('latin1')).toBe('\r\n');
    c.socket.write(tcpInvite('+13015550000', 'after-ping'));
    expect((await c.waitFor(1)).map(callIdOf)).toEqual(['after-ping']);
  });

  it('closes the connection on a message above the size cap, headers or declared body, and counts it', async () => {
    const before = await harness.metric('hoptrace_sip_tcp_closed_total', { reason: 'oversize' });
    const headers = await connect(port);
    headers.socket.write(`INVITE sip:x@127.0.0.1 SIP/2.0\r\nX-Padding: ${'a'.repeat(MAX)}`);
    await headers.closed;
    const body = await connect(port);
    body.socket.write(tcpInvite('+13015550000', 'big').toString('latin1').replace('Content-Length: 0', `Content-Length: ${MAX}`));
    await body.closed;
    expect([headers.responses, body.responses]).toEqual([[], []]);
    expect(await harness.metric('hoptrace_sip_tcp_closed_total', { reason: 'oversize' })).toBe(before + 2);
  });

  it('answers a message without Content-Length with 400 and closes: the stream cannot be framed after it', async () => {
    const c = await connect(port);
    c.socket.write(tcpInvite('+13015550000', 'no-cl').toString('latin1').replace('Content-Length: 0\r\n', ''));
    await c.closed;
    expect(c.responses.map((r) => r.toString('latin1').split('\r\n')[0])).toEqual(['SIP/2.0 400 Missing Content-Length']);
  });

  it('closes a connection idle for longer than the idle timeout', async () => {
    const c = await connect(port);
    c.socket.write(tcpInvite('+13015550000', 'idle-1'));
    await c.waitFor(1);
    const started = Date.now();
    await c.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(await harness.metric('hoptrace_sip_tcp_closed_total', { reason: 'idle' })).toBeGreaterThanOrEqual(1);
  });

  it('closes a connection whose peer sends INVITEs but never reads the answers', async () => {
    const c = await connect(port);
    c.socket.pause();
    let open = true;
    void c.closed.then(() => (open = false));
    const batch = Buffer.concat(Array.from({ length: 500 }, (_, i) => tcpInvite('+13015550000', `unread-${i}`)));
    for (let sent = 0; open && sent < 200; sent++) {
      if (!c.socket.write(batch)) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closed]);
    }
    await c.closed;
    expect(await harness.metric('hoptrace_sip_tcp_closed_total', { reason: 'backlog' })).toBe(1);
  });

  it('closes a connection that leaves a message half sent', async () => {
    const c = await connect(port);
    c.socket.write(tcpInvite('+13015550000', 'half').subarray(0, 40));
    await c.closed;
    expect(c.responses).toEqual([]);
  });
});

describe('frameMessage', () => {
  const msg = tcpInvite('+13015550000', 'f', 'body');
  it.each([
    ['ends a complete message after its body', msg, { end: msg.length }],
    ['waits for a body not fully arrived, knowing where it ends', msg.subarray(0, msg.length - 1), { wait: true, end: msg.length }],
    ['waits for the end of the headers', msg.subarray(0, 30), { wait: true }],
    ['reads the compact form l:', Buffer.from(msg.toString('latin1').replace('Content-Length:', 'l :')), { end: msg.length - 'Content-Length:'.length + 'l :'.length }],
  ])('%s', (_name, buf, frame) => {
    expect(frameMessage(buf, 0, MAX)).toEqual(frame);
  });

  it.each([
    ['a repeated Content-Length', 'Content-Length: 4\r\nContent-Length: 4'],
    ['a negative Content-Length', 'Content-Length: -4'],
    ['a non-numeric Content-Length', 'Content-Length: four'],
  ])('refuses to frame %s', (_name, replacement) => {
    const bad = Buffer.from(msg.toString('latin1').replace('Content-Length: 4', replacement), 'latin1');
    expect(frameMessage(bad, 0, MAX)).toEqual({ fault: 'framing', end: bad.indexOf('\r\n\r\n') + 4 });
  });
});

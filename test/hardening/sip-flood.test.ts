/**
 * The policy server under a hostile peer, on real loopback sockets: a flood of garbage datagrams (random bytes
 * and mutated RFC 4475 messages), half-open TCP connections holding partial messages, and a byte-at-a-time
 * trickle. Valid INVITEs sent meanwhile over UDP and over a fresh TCP connection are each answered.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerOf, startHarness, statusOf, udpClient, type Harness, type UdpClient } from '../agent/sip/policy-harness.js';
import { prng } from '../helpers/prng.js';
import { loadCorpus, mutate } from './sip-fuzz.js';

const GARBAGE = 20_000;
const HALF_OPEN = 40;

function invite(callId: string, transport: 'UDP' | 'TCP'): Buffer {
  return Buffer.from(
    [
      'INVITE sip:+12025550143@127.0.0.1;user=phone SIP/2.0',
      `Via: SIP/2.0/${transport} 127.0.0.1:5099;branch=z9hG4bK-${callId};rport`,
      'Max-Forwards: 70',
      `From: <sip:+13125550117@127.0.0.1;user=phone>;tag=${callId}`,
      'To: <sip:+12025550143@127.0.0.1;user=phone>',
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

let h: Harness;
let client: UdpClient;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  // A connection limit above the half-open ones, idle timeout beyond the test: they stay open throughout.
  h = await startHarness({ transports: ['udp', 'tcp'], tcp: { maxConnections: HALF_OPEN + 16, idleMs: 60_000 } });
  client = await udpClient();
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await client?.close();
  await h?.stop();
});

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  sockets.push(s);
  s.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  return s;
}

/**
 * One INVITE over UDP, retransmitted as an SBC does (RFC 3261 §17.1.1.2, Timer A: 500 ms, doubling) while
 * no answer comes: a flood beyond the socket buffer drops datagrams at random, valid ones too.
 * Its answer's status and how many sends it took; null after the last try.
 */
async function udpAnswer(callId: string, port: number): Promise<{ status: number | null; sends: number }> {
  let wait = 500;
  for (let sends = 1; sends <= 5; sends++, wait *= 2) {
    client.send(invite(callId, 'UDP'), port);
    const until = Date.now() + wait;
    for (let left = wait; left > 0; left = until - Date.now()) {
      const reply = await client.next(left);
      // Late answers to an earlier INVITE's retransmission are not this one's.
      if (reply && headerOf(reply, 'Call-ID') === callId) return { status: statusOf(reply), sends };
    }
  }
  return { status: null, sends: 5 };
}

/** One INVITE over a new TCP connection: its answer's status, or null after `ms`. */
async function tcpAnswer(callId: string, ms = 5_000): Promise<number | null> {
  const s = await connect(h.port('tcp'));
  const status = new Promise<number | null>((resolve) => {
    let got = '';
    const timer = setTimeout(() => resolve(null), ms);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        clearTimeout(timer);
        resolve(statusOf(Buffer.from(got, 'latin1')));
      }
    });
  });
  s.write(invite(callId, 'TCP'));
  const result = await status;
  s.destroy();
  return result;
}

describe('the policy server under a flood', () => {
  it(`answers valid INVITEs over UDP and TCP while ${GARBAGE} garbage datagrams arrive and ${HALF_OPEN} TCP connections hang half-open`, async () => {
    for (let i = 0; i < HALF_OPEN; i++) {
      const s = await connect(h.port('tcp'));
      // Half a message, never finished; some send nothing at all.
      if (i % 2 === 0) s.write(invite(`half-${i}`, 'TCP').subarray(0, 40 + i));
    }
    const corpus = loadCorpus();
    const r = prng(8);
    const flood = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => flood.bind(0, '127.0.0.1', resolve));
    const port = h.port('udp');
    let sent = 0;
    const flooding = (async () => {
      while (sent < GARBAGE) {
        for (let k = 0; k < 200 && sent < GARBAGE; k++, sent++) {
          const bytes = sent % 3 === 0 ? Buffer.from(Array.from({ length: 1 + Math.floor(r() * 1400) }, () => Math.floor(r() * 256))) : mutate(corpus[sent % corpus.length]!, corpus[(sent * 7) % corpus.length]!, r, 1400);
          flood.send(bytes, port, '127.0.0.1');
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    const statuses: (number | null)[] = [];
    let sends = 0;
    for (let i = 0; i < 20; i++) {
      // Replies to our own valid INVITE only: the flood comes from another socket.
      const udp = await udpAnswer(`valid-${i}`, port);
      statuses.push(udp.status);
      sends += udp.sends;
      if (i % 5 === 0) statuses.push(await tcpAnswer(`valid-tcp-${i}`));
    }
    await flooding;
    flood.close();
    expect(statuses).toEqual(Array(24).fill(302));
    // Most answered at the first send: retransmission covers the datagrams the flood pushed out of the buffer.
    expect(sends).toBeLessThan(30);
    // The flood was received and answered or dropped, not ignored: the server parsed it.
    expect(await h.metric('hoptrace_sip_parse_errors_total')).toBeGreaterThan(GARBAGE / 10);
    // And after it, still answering at once.
    expect(await udpAnswer('after', port)).toEqual({ status: 302, sends: 1 });
  });

  it('keeps answering UDP INVITEs while a peer trickles a 60 KB TCP message one byte at a time', async () => {
    const s = await connect(h.port('tcp'));
    s.setNoDelay(true);
    const head = Buffer.from(`INVITE sip:+12025550143@127.0.0.1 SIP/2.0\r\nX-Pad: ${'a'.repeat(60_000)}`, 'latin1');
    let at = 0;
    let trickling = true;
    const trickle = (async () => {
      while (trickling && at < head.length && !s.destroyed) {
        s.write(head.subarray(at, at + 1));
        at++;
        if (at % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      expect(await udpAnswer(`during-trickle-${i}`, h.port('udp'))).toEqual({ status: 302, sends: 1 });
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    trickling = false;
    await trickle;
    s.destroy();
    expect(at).toBeGreaterThan(1_000);
    // Each answer within a second even on a loaded two-core machine: the trickle does not stall the event loop.
    expect(Math.max(...latencies)).toBeLessThan(1_000);
  });
});

describe('the TCP listener at its connection limit', () => {
  const LIMIT = 8;
  let small: Harness;
  beforeAll(async () => {
    small = await startHarness({ transports: ['tcp'], tcp: { maxConnections: LIMIT, idleMs: 60_000 } });
  });
  afterAll(() => small?.stop());

  /** Sends an INVITE on `s` and resolves with its answer's status (null after 3 s or a closed connection). */
  const ask = (s: net.Socket, callId: string) =>
    new Promise<number | null>((resolve) => {
      let got = '';
      const done = (status: number | null) => {
        clearTimeout(timer);
        s.off('data', onData);
        resolve(status);
      };
      const onData = (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) done(statusOf(Buffer.from(got, 'latin1')));
      };
      const timer = setTimeout(() => done(null), 3_000);
      s.on('data', onData);
      s.once('close', () => done(null));
      s.write(invite(callId, 'TCP'));
    });

  it('makes room for a new connection by closing the oldest that did not complete a message in 2 s, keeping those that did', async () => {
    // The SBC's connection, in use before the flood.
    const sbc = await connect(small.port('tcp'));
    expect(await ask(sbc, 'sbc-1')).toBe(302);
    // Half-open connections fill the rest of the limit, and more keep coming.
    const halfOpen: net.Socket[] = [];
    for (let i = 0; i < LIMIT * 3; i++) {
      const s = await connect(small.port('tcp'));
      if (i % 2) s.write('INVITE sip:+12025550143@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1');
      halfOpen.push(s);
    }
    // Connections that had 2 s to complete a message and did not are the ones that make room.
    await new Promise((r) => setTimeout(r, 2_200));
    // A new connection with a valid INVITE is answered, and the SBC's connection still is.
    const fresh = await connect(small.port('tcp'));
    expect(await ask(fresh, 'fresh-1')).toBe(302);
    expect(await ask(sbc, 'sbc-2')).toBe(302);
    // The oldest half-open ones were closed to make that room; never more than the limit stayed open.
    expect(halfOpen.filter((s) => !s.destroyed && s.readyState === 'open').length).toBeLessThanOrEqual(LIMIT - 2);
    expect(await small.metric('hoptrace_sip_tcp_closed_total', { reason: 'evicted' })).toBeGreaterThanOrEqual(1);
  });
});

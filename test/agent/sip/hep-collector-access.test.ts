/**
 * Who may feed the HEP collector, over real sockets: `allowFrom` by the capture agent's own address (UDP and
 * TCP), `authKey` (HEP chunk 14), and the TCP connection cap and idle timeout shared with SIP over TCP. Every
 * drop is silent and counted; what is allowed is still recorded. 127.0.0.2 stands in for another host.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HepCollector } from '../../../agent/sip/hep-collector.js';
import { EVICT_AFTER_MS } from '../../../agent/sip/connection-limit.js';
import { chunk, hepPacket, mirroredChunks } from './hep-packets.js';
import { baseWith, REQUEST_LINE, sip } from './messages.js';
import { type HepHarnessOptions, startHepHarness } from './hep-harness.js';
import type { RecordingIndex } from './recording-index.js';

interface Running {
  collector: HepCollector;
  index: RecordingIndex;
  refused(transport: string, reason: string): Promise<number>;
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function start(transport: 'udp' | 'tcp', extra: HepHarnessOptions): Promise<Running> {
  const h = await startHepHarness(transport, extra);
  stops.push(h.stop);
  return {
    collector: h.collector,
    index: h.index,
    async refused(t, reason) {
      const values = (await h.registry.getSingleMetric('hoptrace_sip_refused_total')?.get())?.values ?? [];
      return values.find((v) => v.labels.source === 'hep' && v.labels.transport === t && v.labels.reason === reason)?.value ?? 0;
    },
  };
}

/** One mirrored INVITE with this Call-ID, with an auth key chunk when `key` is given. */
function packet(callId: string, key?: Buffer): Buffer {
  const chunks = mirroredChunks({ src: '203.0.113.5', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, at: Date.now(), payload: sip([REQUEST_LINE, ...baseWith('Call-ID', `Call-ID: ${callId}`), 'Content-Length: 0']) });
  return hepPacket(key ? [chunk(14, key), ...chunks] : chunks);
}

async function sendUdp(from: string, port: number, ...packets: Buffer[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  for (const p of packets) await new Promise<void>((resolve) => socket.send(p, port, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

/** A TCP connection from `from`; `closed` resolves when the collector closes it. */
async function connect(from: string, port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  stops.push(async () => void socket.destroy());
  return { socket, closed };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => true), sleep(ms).then(() => false)]);
const callIds = async (r: Running, n: number) => (await r.index.waitFor(n)).map((c) => c.callId).sort();

describe('hep.allowFrom', () => {
  it('drops UDP packets from an unlisted capture agent and counts them, whatever source the packet claims', async () => {
    const r = await start('udp', { allowFrom: ['127.0.0.1/32'] });
    await sendUdp('127.0.0.2', r.collector.port, packet('stranger-1'), packet('stranger-2'));
    await sendUdp('127.0.0.1', r.collector.port, packet('sbc-1'));
    expect(await callIds(r, 1)).toEqual(['sbc-1']);
    await sleep(100);
    expect(r.index.records.map((c) => c.callId)).toEqual(['sbc-1']);
    expect(await r.refused('udp', 'not_allowed')).toBe(2);
  });

  it('closes an unlisted TCP connection unread, and records from a listed one', async () => {
    const r = await start('tcp', { allowFrom: ['127.0.0.1/32'] });
    const stranger = await connect('127.0.0.2', r.collector.port);
    stranger.socket.write(packet('stranger'));
    expect(await within(stranger.closed, 2_000)).toBe(true);
    const sbc = await connect('127.0.0.1', r.collector.port);
    sbc.socket.write(packet('sbc'));
    expect(await callIds(r, 1)).toEqual(['sbc']);
    expect(await r.refused('tcp', 'not_allowed')).toBe(1);
  });
});

describe('hep.authKey', () => {
  it('records only packets carrying the key; a missing, wrong or longer key is dropped and counted', async () => {
    const r = await start('udp', { authKey: 'capture-s3cret' });
    await sendUdp(
      '127.0.0.1',
      r.collector.port,
      packet('no-key'),
      packet('wrong-key', Buffer.from('capture-s3creT')),
      packet('longer-key', Buffer.from('capture-s3cret!')),
      packet('keyed', Buffer.from('capture-s3cret')),
    );
    expect(await callIds(r, 1)).toEqual(['keyed']);
    await sleep(100);
    expect(r.index.records).toHaveLength(1);
    expect(await r.refused('udp', 'bad_auth')).toBe(3);
    expect(r.collector.counts.invite).toBe(1);
  });

  it('checks the key over TCP too, keeping the connection for the next packet', async () => {
    const r = await start('tcp', { authKey: 'capture-s3cret' });
    const c = await connect('127.0.0.1', r.collector.port);
    c.socket.write(Buffer.concat([packet('no-key'), packet('keyed', Buffer.from('capture-s3cret'))]));
    expect(await callIds(r, 1)).toEqual(['keyed']);
    expect(await r.refused('tcp', 'bad_auth')).toBe(1);
  });

  it('does not let packets with a wrong key keep a connection from eviction', async () => {
    const r = await start('tcp', { authKey: 'capture-s3cret', maxConnections: 1 });
    const forger = await connect('127.0.0.1', r.collector.port);
    forger.socket.write(packet('forged', Buffer.from('guess')));
    await sleep(EVICT_AFTER_MS + 200);
    const sbc = await connect('127.0.0.1', r.collector.port);
    expect(await within(forger.closed, 2_000)).toBe(true);
    sbc.socket.write(packet('keyed', Buffer.from('capture-s3cret')));
    expect(await callIds(r, 1)).toEqual(['keyed']);
  });
});

describe('HEP over TCP connection limits', () => {
  it('refuses a connection beyond maxConnections while the open ones carry packets', async () => {
    const r = await start('tcp', { maxConnections: 2 });
    const open = [await connect('127.0.0.1', r.collector.port), await connect('127.0.0.1', r.collector.port)];
    open.forEach((c, i) => c.socket.write(packet(`busy-${i}`)));
    expect(await callIds(r, 2)).toEqual(['busy-0', 'busy-1']);
    const third = await connect('127.0.0.1', r.collector.port);
    expect(await within(third.closed, 2_000)).toBe(true);
    expect(await within(Promise.race(open.map((c) => c.closed)), 200)).toBe(false);
  });

  it('lets a new connection evict one that sent nothing for 2 s, and closes idle ones', async () => {
    const r = await start('tcp', { maxConnections: 1, idleMs: 60_000 });
    const silent = await connect('127.0.0.1', r.collector.port);
    await sleep(EVICT_AFTER_MS + 200);
    const next = await connect('127.0.0.1', r.collector.port);
    expect(await within(silent.closed, 2_000)).toBe(true);
    next.socket.write(packet('after-evict'));
    expect(await callIds(r, 1)).toEqual(['after-evict']);

    const idle = await start('tcp', { idleMs: 300 });
    const quiet = await connect('127.0.0.1', idle.collector.port);
    expect(await within(quiet.closed, 3_000)).toBe(true);
  });
});

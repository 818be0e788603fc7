import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../../agent/calls/record.js';
import { CertDirectory } from '../../../agent/sip/certs.js';
import { chunk, hepPacket, mirrored, u16 } from './hep-packets.js';
import { BASE_HEADERS, invite, REQUEST_LINE, sip } from './messages.js';
import { type HepHarness, startHepHarness } from './hep-harness.js';
import { CALLING, certDir, claimsFor, identityHeader, passport, x5uOf } from './shaken.js';

const CALLED = '+12025550143';
/** A DNO-listed caller (list-sample.csv): the collector still only records it, and answers nothing. */
const LISTED = '+12025550100';

let running: HepHarness | undefined;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  await running?.stop();
  running = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function start(transport: 'udp' | 'tcp' = 'udp', certs?: CertDirectory): Promise<HepHarness> {
  running = await startHepHarness(transport, certs && { identity: { certs } });
  return running;
}

/** A UDP socket that sends HEP and notes anything that comes back (nothing should). */
async function sender() {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { received, send: (b: Buffer, port: number) => new Promise<void>((resolve) => socket.send(b, port, '127.0.0.1', () => resolve())) };
}

/** An INVITE from `caller` (a tel: PAI, From sip:) to CALLED, with this Call-ID. */
function inviteFrom(caller: string, callId: string, extra: string[] = []): Buffer {
  return sip([
    `INVITE sip:${CALLED}@192.0.2.10;user=phone SIP/2.0`,
    ...BASE_HEADERS.filter((h) => !h.startsWith('Call-ID')),
    `Call-ID: ${callId}`,
    `P-Asserted-Identity: <tel:${caller}>`,
    ...extra,
    'Content-Length: 0',
  ]);
}

const recorded = (r: HepHarness, expected: number): Promise<CallRecord[]> => r.index.waitFor(expected);

async function counted(r: HepHarness, total: number): Promise<Record<string, number>> {
  for (let i = 0; i < 100 && Object.values(r.collector.counts).reduce((a, b) => a + b, 0) < total; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const metric = await r.registry.getSingleMetric('hoptrace_hep_packets_total')?.get();
  return Object.fromEntries((metric?.values ?? []).filter((v) => v.value > 0).map((v) => [v.labels.outcome, v.value]));
}

describe('HEP collector over UDP', () => {
  it('records a mirrored INVITE with source hep, the mirrored source as ingress and the capture time, and answers nothing', async () => {
    const r = await start();
    const client = await sender();
    const at = Date.now() - 5_000;
    await client.send(mirrored({ src: '203.0.113.5', srcPort: 5080, dst: '192.0.2.10', dstPort: 5060, at, payload: inviteFrom(LISTED, 'hep-1@203.0.113.5') }), r.collector.port);
    const [record] = await recorded(r, 1);
    expect(record).toMatchObject({ at, calling: LISTED, called: CALLED, source: 'hep', ingress: { ip: '203.0.113.5', port: 5080 }, callId: 'hep-1@203.0.113.5' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.received).toEqual([]);
  });

  it('takes the ingress from IPv6 chunks', async () => {
    const r = await start();
    const client = await sender();
    await client.send(mirrored({ src: '2001:db8:0:0:1::7', srcPort: 5060, dst: '2001:db8::1', dstPort: 5060, at: Date.now(), payload: inviteFrom(CALLING, 'hep-6') }), r.collector.port);
    const [record] = await recorded(r, 1);
    expect(record?.ingress).toEqual({ ip: '2001:db8::1:0:0:7', port: 5060 });
  });

  it('records a retransmitted INVITE once', async () => {
    const r = await start();
    const client = await sender();
    const packet = mirrored({ src: '203.0.113.5', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, at: Date.now(), payload: inviteFrom(CALLING, 'retrans') });
    for (let i = 0; i < 3; i++) await client.send(packet, r.collector.port);
    await client.send(mirrored({ src: '203.0.113.5', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, at: Date.now(), payload: inviteFrom(CALLING, 'second') }), r.collector.port);
    expect(await counted(r, 4)).toEqual({ invite: 2, other: 2 });
    expect((await recorded(r, 2)).map((c) => c.callId).sort()).toEqual(['retrans', 'second']);
  });

  it('counts garbage, broken HEP, broken SIP, non-SIP payloads and non-INVITEs, and keeps recording', async () => {
    const r = await start();
    const client = await sender();
    const hep = (payload: Buffer, payloadType?: number) =>
      mirrored({ src: '203.0.113.5', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, at: Date.now(), payload, ...(payloadType !== undefined && { payloadType }) });
    const bad = [
      Buffer.from('not HEP at all'),
      Buffer.alloc(0),
      hepPacket([{ type: 15, value: invite(), length: 3 }]),
      hepPacket([chunk(7, u16(5060)), chunk(15, invite())]),
      hep(Buffer.from('INVITE sip:x SIP/2.0\r\n\r\n')),
      hep(Buffer.from('\x80\x00rtcp'), 5),
      hep(sip(['BYE sip:+12025550143@192.0.2.10 SIP/2.0', ...BASE_HEADERS.map((h) => h.replace('1 INVITE', '2 BYE')), 'Content-Length: 0'])),
      hep(sip(['SIP/2.0 180 Ringing', ...BASE_HEADERS, 'Content-Length: 0'])),
      hep(sip([REQUEST_LINE, ...BASE_HEADERS.map((h) => (h.startsWith('To:') ? `${h};tag=t9` : h)), 'Content-Length: 0'])),
    ];
    for (const packet of bad) await client.send(packet, r.collector.port);
    await client.send(hep(inviteFrom(CALLING, 'after-garbage')), r.collector.port);
    expect(await counted(r, bad.length + 1)).toEqual({ bad_hep: 4, bad_sip: 1, not_sip: 1, other: 3, invite: 1 });
    expect((await recorded(r, 1)).map((c) => c.callId)).toEqual(['after-garbage']);
    expect(client.received).toEqual([]);
  });

  it('records the verified SHAKEN identity of a signed INVITE', async () => {
    const dir = certDir(['sp']);
    cleanups.push(dir.remove);
    const r = await start('udp', CertDirectory.load(dir.dir));
    const client = await sender();
    const at = Date.now();
    const identity = identityHeader(passport(claimsFor(Math.floor(at / 1000), 'B')), x5uOf('sp'));
    await client.send(mirrored({ src: '203.0.113.5', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, at, payload: inviteFrom(CALLING, 'signed', [`Identity: ${identity}`]) }), r.collector.port);
    const [record] = await recorded(r, 1);
    expect(record?.identity).toEqual({ attest: 'B', origid: claimsFor(0).origid, signer: '709J', verified: true });
  });
});

describe('HEP collector over TCP', () => {
  it('frames packets across segments and closes a connection that loses its framing', async () => {
    const r = await start('tcp');
    const packets = ['tcp-1', 'tcp-2'].map((id) => mirrored({ src: '203.0.113.7', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, at: Date.now(), payload: inviteFrom(CALLING, id) }));
    const stream = Buffer.concat(packets);
    const socket = net.connect(r.collector.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(stream.subarray(0, 3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.write(stream.subarray(3, packets[0]!.length + 10));
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.write(stream.subarray(packets[0]!.length + 10));
    expect((await recorded(r, 2)).map((c) => c.callId).sort()).toEqual(['tcp-1', 'tcp-2']);
    socket.write('garbage after the packets');
    await closed;
    expect(await counted(r, 3)).toEqual({ invite: 2, bad_hep: 1 });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { captureTimeMs, decodeHep, HepError, HepFramer, type HepPacket } from '../../../agent/sip/hep.js';
import { chunk, hepPacket, ipBytes, mirrored, mirroredChunks, u16, u32, u8 } from './hep-packets.js';
import { invite } from './messages.js';

const PAYLOAD = invite();
const AT = 1_767_225_600_250;

function decoded(buf: Buffer): HepPacket {
  const p = decodeHep(buf);
  if (p instanceof HepError) throw p;
  return p;
}

describe('decodeHep', () => {
  it('decodes a mirrored IPv4 SIP packet: addresses, ports, time, payload type, capture id and payload', () => {
    const p = decoded(mirrored({ src: '203.0.113.5', srcPort: 5060, dst: '192.0.2.10', dstPort: 5070, at: AT, payload: PAYLOAD }));
    expect({ ...p, payload: p.payload.toString('latin1') }).toEqual({
      family: 4, protocol: 17, srcIp: '203.0.113.5', srcPort: 5060, dstIp: '192.0.2.10', dstPort: 5070,
      timeSec: Math.floor(AT / 1000), timeUsec: 250_123, payloadType: 1, captureId: 2001, payload: PAYLOAD.toString('latin1'),
    });
    expect(captureTimeMs(p)).toBe(AT);
  });

  it.each([
    ['2001:db8::7', '2001:db8::7'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8:0:0:1::1', '2001:db8::1:0:0:1'],
    ['::1', '::1'],
    ['::', '::'],
    ['fe80::', 'fe80::'],
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:FFFF', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff'],
  ])('writes the IPv6 source %s as %s (RFC 5952)', (ip, text) => {
    const p = decoded(mirrored({ src: ip, srcPort: 5061, dst: '2001:db8::1', dstPort: 5060, payload: PAYLOAD }));
    expect([p.family, p.srcIp, p.dstIp, p.srcPort]).toEqual([6, text, '2001:db8::1', 5061]);
  });

  it('skips unknown chunk types and vendor chunks, whatever their size', () => {
    const [first, ...rest] = mirroredChunks({ src: '203.0.113.5', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, payload: PAYLOAD });
    const p = decoded(hepPacket([first!, chunk(3, Buffer.alloc(9, 1), 0x0008), chunk(200, Buffer.from('future')), chunk(14, Buffer.from('secret')), chunk(18, u16(7)), ...rest]));
    expect([p.srcIp, p.payload.equals(PAYLOAD)]).toEqual(['203.0.113.5', true]);
  });

  it('reads the correlation id and node name', () => {
    const p = decoded(hepPacket([chunk(17, Buffer.from('c1@198.51.100.7')), chunk(19, Buffer.from('sbc-east-1')), chunk(15, PAYLOAD)]));
    expect([p.correlationId, p.nodeName]).toEqual(['c1@198.51.100.7', 'sbc-east-1']);
  });

  it('ignores bytes after the total length, as over UDP', () => {
    const packet = mirrored({ src: '203.0.113.5', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, payload: PAYLOAD });
    expect(decoded(Buffer.concat([packet, Buffer.from('trailing junk')])).payload.equals(PAYLOAD)).toBe(true);
  });

  it('has no capture time without the seconds chunk', () => {
    expect(captureTimeMs(decoded(hepPacket([chunk(15, PAYLOAD)])))).toBeUndefined();
  });

  const good = hepPacket([chunk(7, u16(5060)), chunk(15, PAYLOAD)]);
  it.each([
    ['5 bytes', Buffer.from('HEP3\x00'), '5 bytes, shorter than the 6-byte HEP header'],
    ['no HEP3 signature', Buffer.concat([Buffer.from('HEP4'), good.subarray(4)]), 'no HEP3 signature'],
    ['a HEPv2 packet', Buffer.from([2, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4, 0, 0, 0, 0]), 'HEPv2 is not supported'],
    ['a total length below 6', hepPacket([chunk(15, PAYLOAD)], 4), 'total length 4 is shorter than the HEP header'],
    ['a total length beyond the datagram', hepPacket([chunk(15, PAYLOAD)], PAYLOAD.length + 20), `total length ${PAYLOAD.length + 20} exceeds the ${PAYLOAD.length + 12} bytes received`],
    ['a chunk length below 6', hepPacket([chunk(7, u16(5060)), { type: 15, value: PAYLOAD, length: 5 }]), 'chunk at offset 14 has length 5, less than 6'],
    ['a zero chunk length (would loop forever)', hepPacket([{ type: 99, value: Buffer.alloc(0), length: 0 }, chunk(15, PAYLOAD)]), 'chunk at offset 6 has length 0, less than 6'],
    ['a chunk running past the end', hepPacket([chunk(7, u16(5060)), { type: 15, value: PAYLOAD, length: PAYLOAD.length + 7 }]), `chunk at offset 14 (length ${PAYLOAD.length + 7}) runs past the packet end ${PAYLOAD.length + 20}`],
    ['a truncated chunk header', Buffer.concat([Buffer.from('HEP3'), u16(9), Buffer.from([0, 0, 0])]), 'truncated chunk header at offset 6'],
    ['an IPv4 chunk of 5 bytes', hepPacket([chunk(3, Buffer.alloc(5)), chunk(15, PAYLOAD)]), 'chunk type 3 (IPv4 source) has 5 bytes, expected 4'],
    ['an IPv6 chunk of 4 bytes', hepPacket([chunk(6, ipBytes('192.0.2.1')), chunk(15, PAYLOAD)]), 'chunk type 6 (IPv6 destination) has 4 bytes, expected 16'],
    ['a port chunk of 4 bytes', hepPacket([chunk(7, u32(5060)), chunk(15, PAYLOAD)]), 'chunk type 7 (source port) has 4 bytes, expected 2'],
    ['no payload chunk', hepPacket([chunk(1, u8(2)), chunk(7, u16(5060))]), 'no payload chunk (type 15)'],
  ])('rejects %s with a reason', (_name, buf, reason) => {
    const result = decodeHep(buf);
    expect(result).toBeInstanceOf(HepError);
    expect((result as HepError).reason).toBe(reason);
    expect((result as HepError).message).toBe(`bad HEP packet: ${reason}`);
  });

  it('never throws, whatever the bytes', () => {
    const arbitrary = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([0x48, 0x45, 0x50, 0x33, ...b])),
      fc.array(fc.record({ vendor: fc.nat(2), type: fc.nat(20), size: fc.nat(24), length: fc.option(fc.nat(40)) }), { maxLength: 8 }).map((cs) =>
        hepPacket(cs.map((c) => ({ vendor: c.vendor, type: c.type, value: Buffer.alloc(c.size, 0xab), ...(c.length !== null && { length: c.length }) }))),
      ),
    );
    fc.assert(
      fc.property(arbitrary, (bytes) => {
        const result = decodeHep(Buffer.from(bytes));
        expect(result instanceof HepError || Buffer.isBuffer(result.payload)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('HepFramer', () => {
  const packets = [0, 1, 2].map((i) => mirrored({ src: `203.0.113.${i}`, srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, payload: invite([`X-N: ${i}`]) }));
  const stream = Buffer.concat(packets);

  it('frames several packets arriving in one segment', () => {
    expect(new HepFramer().push(stream)).toEqual(packets);
  });

  it('frames packets however the stream is split', () => {
    for (let cut = 1; cut < stream.length; cut += 7) {
      const framer = new HepFramer();
      const first = framer.push(stream.subarray(0, cut));
      const second = framer.push(stream.subarray(cut));
      expect([first, second].flat()).toEqual(packets);
    }
  });

  it('says when the stream loses its framing', () => {
    const framer = new HepFramer();
    expect(framer.push(packets[0]!)).toEqual([packets[0]]);
    const lost = framer.push(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(lost).toBeInstanceOf(HepError);
    expect((lost as HepError).reason).toBe('no HEP3 signature at a packet boundary');
  });

  it('spots garbage before six bytes have arrived', () => {
    expect(new HepFramer().push(Buffer.from('HEX'))).toBeInstanceOf(HepError);
    expect(new HepFramer().push(Buffer.from('HEP'))).toEqual([]);
  });

  it('rejects a total length below the header size', () => {
    const lost = new HepFramer().push(Buffer.concat([Buffer.from('HEP3'), u16(3)]));
    expect((lost as HepError).reason).toBe('total length 3 is shorter than the HEP header');
  });
});

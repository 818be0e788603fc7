/**
 * Round trip, property-based: any mirrored packet a capture agent encodes in HEPv3 (test/agent/sip/hep-packets.ts)
 * decodes to the same addresses, ports, time, ids and payload, and frames the same over TCP however the stream
 * is cut. IPv6 text is checked against an independent RFC 5952 writer (the WHATWG URL host serialiser).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHep, HepError, HepFramer, type HepPacket } from '../../agent/sip/hep.js';
import { chunk, hepPacket } from '../agent/sip/hep-packets.js';

const u16 = (n: number) => Buffer.from([(n >> 8) & 255, n & 255]);
const u32 = (n: number) => Buffer.from([(n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]);

/** RFC 5952 text of 16 bytes, by the URL parser (not IPv4-mapped: WHATWG writes those in hex). */
function rfc5952(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

const notMapped = (b: Uint8Array) => !(b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff);
/** Addresses with runs of zero groups, where the :: compression rules matter. */
const ipv6 = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((groups) => Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 255])))
  .filter(notMapped);

const mirrored = fc.record({
  v6: fc.boolean(),
  src4: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  dst4: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  src6: ipv6,
  dst6: ipv6,
  srcPort: fc.integer({ min: 0, max: 65_535 }),
  dstPort: fc.integer({ min: 0, max: 65_535 }),
  timeSec: fc.integer({ min: 0, max: 0xffffffff }),
  timeUsec: fc.integer({ min: 0, max: 999_999 }),
  captureId: fc.integer({ min: 0, max: 0xffffffff }),
  payloadType: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 2_000 }),
  vendorJunk: fc.uint8Array({ maxLength: 40 }),
});
type Mirrored = typeof mirrored extends fc.Arbitrary<infer T> ? T : never;

function encode(m: Mirrored): Buffer {
  return hepPacket([
    chunk(1, Buffer.from([m.v6 ? 10 : 2])),
    chunk(2, Buffer.from([17])),
    m.v6 ? chunk(5, Buffer.from(m.src6)) : chunk(3, Buffer.from(m.src4)),
    m.v6 ? chunk(6, Buffer.from(m.dst6)) : chunk(4, Buffer.from(m.dst4)),
    chunk(7, u16(m.srcPort)),
    chunk(8, u16(m.dstPort)),
    chunk(9, u32(m.timeSec)),
    chunk(10, u32(m.timeUsec)),
    chunk(11, Buffer.from([m.payloadType])),
    chunk(12, u32(m.captureId)),
    // A vendor chunk the decoder must skip by its length.
    chunk(99, Buffer.from(m.vendorJunk), 0x1234),
    chunk(15, Buffer.from(m.payload)),
  ]);
}

describe('HEPv3 round trip', () => {
  it('decodes every field a capture agent encodes', () => {
    fc.assert(
      fc.property(mirrored, (m) => {
        const p = decodeHep(encode(m));
        expect(p).not.toBeInstanceOf(HepError);
        const { family, srcIp, dstIp, srcPort, dstPort, timeSec, timeUsec, captureId, payloadType, payload } = p as HepPacket;
        const ip4 = (b: Uint8Array) => Array.from(b).join('.');
        expect({ family, srcIp, dstIp, srcPort, dstPort, timeSec, timeUsec, captureId, payloadType }).toEqual({
          family: m.v6 ? 6 : 4,
          srcIp: m.v6 ? rfc5952(m.src6) : ip4(m.src4),
          dstIp: m.v6 ? rfc5952(m.dst6) : ip4(m.dst4),
          srcPort: m.srcPort,
          dstPort: m.dstPort,
          timeSec: m.timeSec,
          timeUsec: m.timeUsec,
          captureId: m.captureId,
          payloadType: m.payloadType,
        });
        expect(payload.equals(Buffer.from(m.payload))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('frames the same packets from a TCP stream however it is cut', () => {
    fc.assert(
      fc.property(fc.array(mirrored, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (ms, cutsAt) => {
        const packets = ms.map(encode);
        const stream = Buffer.concat(packets);
        const cuts = [...new Set(cutsAt.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const framer = new HepFramer();
        const framed: Buffer[] = [];
        let from = 0;
        for (const cut of [...cuts, stream.length]) {
          const out = framer.push(stream.subarray(from, cut));
          expect(out).not.toBeInstanceOf(HepError);
          framed.push(...(out as Buffer[]).map((b) => Buffer.from(b)));
          from = cut;
        }
        expect(framed).toEqual(packets);
      }),
      { numRuns: 300 },
    );
  });
});

/** Builds HEPv3 packets for tests, chunk by chunk, so that a test can also build broken ones. */
import { isIP } from 'node:net';

export interface Chunk {
  vendor?: number;
  type: number;
  value: Buffer;
  /** Overrides the length field (value + 6) to build malformed packets. */
  length?: number;
}

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

export function chunk(type: number, value: Buffer, vendor = 0): Chunk {
  return { vendor, type, value };
}

/** `HEP3`, the total length (overridable), then the chunks as given. */
export function hepPacket(chunks: readonly Chunk[], totalLength?: number): Buffer {
  const body = Buffer.concat(chunks.map((c) => Buffer.concat([u16(c.vendor ?? 0), u16(c.type), u16(c.length ?? c.value.length + 6), c.value])));
  return Buffer.concat([Buffer.from('HEP3'), u16(totalLength ?? body.length + 6), body]);
}

/** IPv4 "a.b.c.d" or IPv6 text (`::` allowed) as network bytes. */
export function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = ip.includes('::') ? groups(tail) : [];
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return Buffer.concat(all.map(u16));
}

export interface Mirrored {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  /** Capture time, epoch ms. */
  at?: number;
  payload: Buffer;
  payloadType?: number;
  captureId?: number;
}

/** The chunks a capture agent (Kamailio siptrace, heplify) sends for one mirrored UDP packet. */
export function mirroredChunks(m: Mirrored): Chunk[] {
  const v6 = isIP(m.src) === 6;
  const chunks = [
    chunk(1, u8(v6 ? 10 : 2)),
    chunk(2, u8(17)),
    chunk(v6 ? 5 : 3, ipBytes(m.src)),
    chunk(v6 ? 6 : 4, ipBytes(m.dst)),
    chunk(7, u16(m.srcPort)),
    chunk(8, u16(m.dstPort)),
  ];
  if (m.at !== undefined) chunks.push(chunk(9, u32(Math.floor(m.at / 1000))), chunk(10, u32((m.at % 1000) * 1000 + 123)));
  chunks.push(chunk(11, u8(m.payloadType ?? 1)), chunk(12, u32(m.captureId ?? 2001)), chunk(15, m.payload));
  return chunks;
}

export const mirrored = (m: Mirrored) => hepPacket(mirroredChunks(m));

export { u8, u16, u32 };

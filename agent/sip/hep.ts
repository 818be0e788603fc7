/**
 * HEPv3 (Homer Encapsulation Protocol, sipcapture HEP3 spec rev 37; sip-notes.md §5): the envelope in which
 * SBCs and proxies mirror SIP to a collector. Pure and bounds-checked: a packet is `HEP3`, a total length
 * (uint16 BE, including the 6-byte header) and chunks `vendor u16 | type u16 | length u16 (incl. these 6) |
 * value`. Unknown chunk types and vendor chunks are skipped by their length; a chunk shorter than its header
 * or running past the packet is an error. Own decoder: hep-js is GPL-2.0 and IPv4-only.
 */

export interface HepPacket {
  /** IP family of the mirrored packet: 4 or 6 (chunk 1). */
  family?: 4 | 6;
  /** IP protocol of the mirrored packet: 17 UDP, 6 TCP (chunk 2). */
  protocol?: number;
  /** The mirrored packet's source and destination (chunks 3/5, 7 and 4/6, 8). */
  srcIp?: string;
  srcPort?: number;
  dstIp?: string;
  dstPort?: number;
  /** Capture time (chunks 9, 10). */
  timeSec?: number;
  timeUsec?: number;
  /** 1 SIP, 5 RTCP, 34 rtpagent, 35 RTCP-XR, 53 DNS, 100 log (chunk 11). */
  payloadType?: number;
  captureId?: number;
  correlationId?: string;
  nodeName?: string;
  /** Auth key (capture password) the capture agent sent (chunk 14): a view of the input. */
  authKey?: Buffer;
  /** The captured message (chunk 15): a view of the input, not a copy. */
  payload: Buffer;
}

export class HepError extends Error {
  override readonly name = 'HepError';
  constructor(
    readonly reason: string,
    /** Byte offset of the fault in the packet, when it is a chunk's. */
    readonly offset?: number,
  ) {
    super(`bad HEP packet: ${reason}`);
  }
}

export const HEP_HEADER_BYTES = 6;
const CHUNK_HEADER_BYTES = 6;
/** "HEP3" read as a big-endian uint32. */
const HEP3 = 0x48455033;

/** Value sizes of the fixed-size chunk types; a chunk of another size is malformed. */
const FIXED_SIZE: Readonly<Record<number, readonly [bytes: number, name: string]>> = {
  1: [1, 'IP family'],
  2: [1, 'IP protocol'],
  3: [4, 'IPv4 source'],
  4: [4, 'IPv4 destination'],
  5: [16, 'IPv6 source'],
  6: [16, 'IPv6 destination'],
  7: [2, 'source port'],
  8: [2, 'destination port'],
  9: [4, 'timestamp seconds'],
  10: [4, 'timestamp microseconds'],
  11: [1, 'payload type'],
  12: [4, 'capture agent id'],
};

/** Decodes one HEPv3 packet; bytes after its total length are ignored (as over UDP for SIP). */
export function decodeHep(buf: Buffer): HepPacket | HepError {
  if (buf.length < HEP_HEADER_BYTES) return new HepError(`${buf.length} bytes, shorter than the 6-byte HEP header`);
  if (buf.readUInt32BE(0) !== HEP3) return new HepError(buf[0] === 1 || buf[0] === 2 ? `HEPv${buf[0]} is not supported` : 'no HEP3 signature');
  const end = buf.readUInt16BE(4);
  if (end < HEP_HEADER_BYTES) return new HepError(`total length ${end} is shorter than the HEP header`);
  if (end > buf.length) return new HepError(`total length ${end} exceeds the ${buf.length} bytes received`);

  let family: 4 | 6 | undefined;
  let protocol: number | undefined;
  let srcIp: string | undefined;
  let dstIp: string | undefined;
  let srcPort: number | undefined;
  let dstPort: number | undefined;
  let timeSec: number | undefined;
  let timeUsec: number | undefined;
  let payloadType: number | undefined;
  let captureId: number | undefined;
  let correlationId: string | undefined;
  let nodeName: string | undefined;
  let authKey: Buffer | undefined;
  let payload: Buffer | undefined;

  for (let at = HEP_HEADER_BYTES; at < end; ) {
    if (at + CHUNK_HEADER_BYTES > end) return new HepError(`truncated chunk header at offset ${at}`, at);
    const vendor = buf.readUInt16BE(at);
    const type = buf.readUInt16BE(at + 2);
    const length = buf.readUInt16BE(at + 4);
    if (length < CHUNK_HEADER_BYTES) return new HepError(`chunk at offset ${at} has length ${length}, less than 6`, at);
    if (at + length > end) return new HepError(`chunk at offset ${at} (length ${length}) runs past the packet end ${end}`, at);
    const v = at + CHUNK_HEADER_BYTES;
    const size = length - CHUNK_HEADER_BYTES;
    at += length;
    // Vendor chunks (vendor ≠ 0) carry vendor-specific meanings for the same type numbers: skip them.
    if (vendor !== 0) continue;
    const fixed = FIXED_SIZE[type];
    if (fixed && fixed[0] !== size) return new HepError(`chunk type ${type} (${fixed[1]}) has ${size} bytes, expected ${fixed[0]}`, v - CHUNK_HEADER_BYTES);
    switch (type) {
      case 1: {
        const f = buf[v];
        // AF_INET = 2, AF_INET6 = 10 (Linux numbering, as every HEP agent sends).
        family = f === 2 ? 4 : f === 10 ? 6 : undefined;
        break;
      }
      case 2: protocol = buf[v]; break;
      case 3: srcIp = ipv4(buf, v); break;
      case 4: dstIp = ipv4(buf, v); break;
      case 5: srcIp = ipv6(buf, v); break;
      case 6: dstIp = ipv6(buf, v); break;
      case 7: srcPort = buf.readUInt16BE(v); break;
      case 8: dstPort = buf.readUInt16BE(v); break;
      case 9: timeSec = buf.readUInt32BE(v); break;
      case 10: timeUsec = buf.readUInt32BE(v); break;
      case 11: payloadType = buf[v]; break;
      case 12: captureId = buf.readUInt32BE(v); break;
      case 14: authKey = buf.subarray(v, v + size); break;
      case 15: payload = buf.subarray(v, v + size); break;
      case 17: correlationId = buf.toString('latin1', v, v + size); break;
      case 19: nodeName = buf.toString('latin1', v, v + size); break;
      default: // 16 compressed payload, 18 VLAN, 20+ …: not needed to learn a call.
    }
  }
  if (!payload) return new HepError('no payload chunk (type 15)');
  const packet: HepPacket = { payload };
  if (family !== undefined) packet.family = family;
  if (protocol !== undefined) packet.protocol = protocol;
  if (srcIp !== undefined) packet.srcIp = srcIp;
  if (srcPort !== undefined) packet.srcPort = srcPort;
  if (dstIp !== undefined) packet.dstIp = dstIp;
  if (dstPort !== undefined) packet.dstPort = dstPort;
  if (timeSec !== undefined) packet.timeSec = timeSec;
  if (timeUsec !== undefined) packet.timeUsec = timeUsec;
  if (payloadType !== undefined) packet.payloadType = payloadType;
  if (captureId !== undefined) packet.captureId = captureId;
  if (correlationId !== undefined) packet.correlationId = correlationId;
  if (nodeName !== undefined) packet.nodeName = nodeName;
  if (authKey !== undefined) packet.authKey = authKey;
  return packet;
}

/** Capture time in epoch milliseconds; undefined without the seconds chunk. */
export function captureTimeMs(p: Pick<HepPacket, 'timeSec' | 'timeUsec'>): number | undefined {
  return p.timeSec === undefined ? undefined : p.timeSec * 1000 + Math.floor((p.timeUsec ?? 0) / 1000);
}

/**
 * HEP over TCP: packets follow each other, each framed by its total length. `push` returns the complete
 * packets so far (views of one buffer), or a HepError when the stream lost its framing (close the connection:
 * there is no way to resynchronise).
 */
export class HepFramer {
  /** Less than one packet (≤ 65,535 bytes: the length is a uint16), so a peer cannot grow it. */
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] | HepError {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const packets: Buffer[] = [];
    let at = 0;
    while (buf.length - at >= HEP_HEADER_BYTES) {
      if (buf.readUInt32BE(at) !== HEP3) return new HepError('no HEP3 signature at a packet boundary', at);
      const length = buf.readUInt16BE(at + 4);
      if (length < HEP_HEADER_BYTES) return new HepError(`total length ${length} is shorter than the HEP header`, at);
      if (buf.length - at < length) break;
      packets.push(buf.subarray(at, at + length));
      at += length;
    }
    // A partial "HEP3" prefix is checked as soon as it can be: garbage should not wait for 6 bytes.
    const rest = buf.subarray(at);
    for (let i = 0; i < Math.min(rest.length, 4); i++) {
      if (rest[i] !== 'HEP3'.charCodeAt(i)) return new HepError('no HEP3 signature at a packet boundary', at);
    }
    this.pending = Buffer.from(rest);
    return packets;
  }
}

function ipv4(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

/** RFC 5952 text: lower-case hex, no leading zeros, the longest run (≥ 2) of zero groups as `::`; mapped IPv4 dotted. */
function ipv6(buf: Buffer, at: number): string {
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++) groups[i] = buf.readUInt16BE(at + 2 * i);
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${ipv4(buf, at + 12)}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return bestStart < 0 ? hex(0, 8) : `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

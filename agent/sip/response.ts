/**
 * Responses from a stateless server (RFC 3261 §8.2.6, §18.2.1; RFC 3581): built from the request alone,
 * so a retransmitted INVITE gets a byte-identical answer and no per-call state is kept.
 */
import type { SipMessage } from './message.js';
import { trimWsp } from './syntax.js';
import type { Via } from './via.js';

export interface ResponseExtra {
  /** Added after the copied headers, in order. Values are ordinary strings, written as UTF-8. */
  headers?: [string, string][];
  /**
   * Header lines added after `headers`, already in wire form (`Name: value\r\n` each, latin1 view of the
   * bytes, no CR/LF inside a value): what a call source prepared once, or took from the request itself.
   */
  headerLines?: string;
  /** Overrides the derived To tag. */
  toTag?: string;
}

/** Where the request came from (the packet's source, not what its Via claims). */
export interface ResponseSource {
  address: string;
  port: number;
}

/**
 * Copies all Vias (the top one stamped with `received`/`rport` for `src`), From, To (plus a tag unless
 * it has one or this is a 100), Call-ID and CSeq; works on a parse error's `partial` too, copying
 * what it has. The reason phrase is an ordinary string, written as UTF-8.
 */
export function buildResponse(
  req: SipMessage,
  status: number,
  reason: string,
  extra: ResponseExtra = {},
  src?: ResponseSource,
): Buffer {
  // One string, one latin1 encoding: copied values are latin1 views of the request's bytes and go back unchanged.
  let out = `SIP/2.0 ${status} ${asLatin1(oneLine(reason))}\r\n`;
  for (const via of viaValues(req, src)) out += `Via: ${via}\r\n`;
  const h = req.headers;
  const from = h.get('from')?.[0];
  const to = h.get('to')?.[0];
  const callId = h.get('call-id')?.[0];
  const cseq = h.get('cseq')?.[0];
  if (from !== undefined) out += `From: ${from}\r\n`;
  if (to !== undefined) out += `To: ${toValue(req, to, status, extra.toTag)}\r\n`;
  if (callId !== undefined) out += `Call-ID: ${callId}\r\n`;
  if (cseq !== undefined) out += `CSeq: ${cseq}\r\n`;
  for (const [name, value] of extra.headers ?? []) out += headerLine(name, value);
  if (extra.headerLines !== undefined) out += extra.headerLines;
  return Buffer.from(`${out}Content-Length: 0\r\n\r\n`, 'latin1');
}

/**
 * A To tag that depends only on the request (Call-ID, From tag, top branch): 64 bits from two FNV-1a lanes.
 * It only has to tell dialogs apart (RFC 3261 §19.3), not to be secret, and it is made for every INVITE.
 */
export function deriveToTag(req: SipMessage): string {
  const key = `${req.callId() ?? ''}\n${req.from()?.params.get('tag') ?? ''}\n${req.via()[0]?.branch ?? ''}`;
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x0100019d);
  }
  return hex8(a) + hex8(b);
}

/** Two hex digits per byte value: Number#toString(16) costs microseconds, a table lookup nanoseconds. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex8(n: number): string {
  return (HEX[n >>> 24] as string) + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255];
}

function viaValues(req: SipMessage, src: ResponseSource | undefined): readonly string[] {
  const [top, ...rest] = req.via();
  // An unparseable Via list (a 400's partial) is echoed as received: still the client's to match.
  if (!top) return req.headers.get('via') ?? [];
  return [src ? stampTopVia(top, src) : top.raw, ...rest.map((via) => via.raw)];
}

/** RFC 3261 §18.2.1 `received` when the sent-by host is not the source; RFC 3581 §4 `rport` (+ `received` always). */
function stampTopVia(top: Via, src: ResponseSource): string {
  const rport = top.params.has('rport');
  if (!rport && sameAddress(top.host, src.address)) return top.raw;
  const params = new Map(top.params);
  if (rport) params.set('rport', String(src.port));
  params.set('received', src.address);
  const semi = top.raw.indexOf(';');
  let value = trimWsp(semi < 0 ? top.raw : top.raw.slice(0, semi));
  for (const [name, v] of params) value += v === null ? `;${name}` : `;${name}=${v}`;
  return value;
}

function sameAddress(host: string, address: string): boolean {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return bare.toLowerCase() === address.toLowerCase();
}

/** RFC 3261 §8.2.6.2: the UAS adds a To tag, except that a 100 (Trying) may go without one. */
function toValue(req: SipMessage, raw: string, status: number, toTag: string | undefined): string {
  const to = req.to();
  if (status === 100 || !to || to.params.has('tag')) return raw;
  return `${raw};tag=${toTag === undefined ? deriveToTag(req) : asLatin1(oneLine(toTag))}`;
}

/** `Name: value\r\n` in wire form for ResponseExtra.headerLines: the value on one line, its UTF-8 bytes as latin1. */
export function headerLine(name: string, value: string): string {
  return `${name}: ${asLatin1(oneLine(value))}\r\n`;
}

function oneLine(s: string): string {
  return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 ? s : s.replace(/[\r\n]+/g, ' ');
}

/** The latin1 view of the string's UTF-8 bytes, so that one latin1 encoding writes the whole response. */
function asLatin1(s: string): string {
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/**
 * Responses from a stateless server (RFC 3261 §8.2.6, §18.2.1; RFC 3581): built from the request alone,
 * so a retransmitted INVITE gets a byte-identical answer and no per-call state is kept.
 */
import { createHash } from 'node:crypto';
import type { SipMessage } from './message.js';
import { trimWsp } from './syntax.js';
import type { Via } from './via.js';

export interface ResponseExtra {
  /** Added after the copied headers, in order. Values are ordinary strings, written as UTF-8. */
  headers?: [string, string][];
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
  const lines = [`SIP/2.0 ${status} ${asLatin1(oneLine(reason))}`];
  for (const via of viaValues(req, src)) lines.push(`Via: ${via}`);
  const from = req.headers.get('from')?.[0];
  const to = req.headers.get('to')?.[0];
  const callId = req.headers.get('call-id')?.[0];
  const cseq = req.headers.get('cseq')?.[0];
  if (from !== undefined) lines.push(`From: ${from}`);
  if (to !== undefined) lines.push(`To: ${toValue(req, to, status, extra.toTag)}`);
  if (callId !== undefined) lines.push(`Call-ID: ${callId}`);
  if (cseq !== undefined) lines.push(`CSeq: ${cseq}`);
  for (const [name, value] of extra.headers ?? []) lines.push(`${name}: ${asLatin1(oneLine(value))}`);
  lines.push('Content-Length: 0', '', '');
  // Copied values are latin1 views of the request's bytes: latin1 writes them back unchanged.
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** A To tag that depends only on the request (Call-ID, From tag, top branch). */
export function deriveToTag(req: SipMessage): string {
  const key = `${req.callId() ?? ''}\n${req.from()?.params.get('tag') ?? ''}\n${req.via()[0]?.branch ?? ''}`;
  return createHash('sha1').update(key, 'latin1').digest('hex').slice(0, 10);
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

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

/** The latin1 view of the string's UTF-8 bytes, so that one latin1 encoding writes the whole response. */
function asLatin1(s: string): string {
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/**
 * The SIP message parser shared by every call source (policy server, HEP, drachtio, …): pure, no
 * dependencies, on a Buffer. It never throws: a fault comes back as a status code for the answer
 * (400/416/501/505) or 'drop' when no answer may be sent, with the partial message when there is one.
 */
import { splitHeaders } from './headers.js';
import { ParsedMessage, parseDecimal, type SipMessage, type StartLine } from './message.js';
import { TOKEN, isToken } from './syntax.js';

export type { SipHeaders } from './headers.js';
export type { CSeq, SipMessage } from './message.js';
export { parseNameAddr, type NameAddr } from './name-addr.js';
export { parseUri, type SipUri } from './uri.js';
export type { Via } from './via.js';

export type SipParseResult = { ok: true; msg: SipMessage } | { ok: false; error: SipParseError };

export interface SipParseError {
  code: 400 | 416 | 501 | 505 | 'drop';
  /** Names the fault; becomes the reason phrase of the answer. */
  reason: string;
  /** The message as far as it could be parsed: enough to build the answer (Via, From, To, Call-ID, CSeq). */
  partial?: SipMessage;
}

export interface SipParseOptions {
  /** Framing rules (RFC 3261 §18.3): over TCP Content-Length is mandatory. Default 'udp'. */
  transport?: 'udp' | 'tcp';
  /** Larger input is dropped unparsed. Default DEFAULT_MAX_BYTES. */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 64 * 1024;

export function parseSip(buf: Buffer, opts: SipParseOptions = {}): SipParseResult {
  try {
    return parse(buf, opts.transport ?? 'udp', opts.maxBytes ?? DEFAULT_MAX_BYTES);
  } catch {
    // Not expected to happen; the listener must keep serving whatever arrives.
    return fail('drop', 'Parser fault');
  }
}

type Fault = { code: SipParseError['code']; reason: string };

/** Methods of RFC 3261 and its extensions: a CSeq mismatch on any other method is a 501 (RFC 4475 mismatch02). */
const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO',
  'REFER', 'MESSAGE', 'UPDATE',
]);

const REQUIRED = [['via', 'Via'], ['from', 'From'], ['to', 'To'], ['call-id', 'Call-ID'], ['cseq', 'CSeq']] as const;
const SINGLE = [...REQUIRED.slice(1), ['max-forwards', 'Max-Forwards'], ['content-length', 'Content-Length']] as const;

function parse(buf: Buffer, transport: 'udp' | 'tcp', maxBytes: number): SipParseResult {
  if (buf.length > maxBytes) return fail('drop', `Message larger than ${maxBytes} bytes`);
  // RFC 3261 §7.5: CRLFs before the start line are ignored (they are keep-alives on their own).
  let begin = 0;
  while (begin < buf.length && (buf[begin] === 13 || buf[begin] === 10)) begin++;
  if (begin === buf.length) return fail('drop', 'Empty message');
  // One latin1 string for the whole message: the header scan finds the empty line itself.
  const text = buf.toString('latin1', begin);
  const lineEnd = text.indexOf('\r\n');
  const start = parseStartLine(lineEnd < 0 ? text : text.slice(0, lineEnd));
  if (!start) return fail('drop', 'Not a SIP message');
  const section = splitHeaders(text, lineEnd < 0 ? text.length : lineEnd + 2);
  const bodyStart = begin + (section.end < 0 ? text.length : section.end);
  const available = buf.length - bodyStart;
  const lengths = section.headers.get('content-length');
  const length = lengths ? parseLength(lengths) : undefined;
  const msg = new ParsedMessage(start.line, section.headers, buf, bodyStart, bodyStart + Math.min(length ?? available, available));

  const fault =
    start.fault ??
    // Over UDP the datagram's end also ends the headers (RFC 4475 baddn lacks the empty line).
    (section.end < 0 && transport === 'tcp' ? { code: 400, reason: 'No empty line after the header fields' } : undefined) ??
    (section.fault ? { code: 400, reason: section.fault } : undefined) ??
    headerFault(msg) ??
    framingFault(msg, transport, available) ??
    (msg.kind === 'request' ? requestFault(msg) : undefined);
  if (!fault) return { ok: true, msg };
  // A response is never answered (RFC 3261 §18.1.2): any fault in one means drop it.
  return fail(msg.kind === 'response' ? 'drop' : fault.code, fault.reason, msg);
}

function fail(code: SipParseError['code'], reason: string, partial?: SipMessage): SipParseResult {
  return { ok: false, error: partial ? { code, reason, partial } : { code, reason } };
}

/** NaN when the header is repeated or malformed, so that framing rejects it. */
function parseLength(values: readonly string[]): number {
  return values.length === 1 ? (parseDecimal(values[0] as string) ?? NaN) : NaN;
}

interface ParsedStartLine {
  line: StartLine;
  fault?: Fault;
}

/** Request-Line = Method SP Request-URI SP SIP-Version, single SPs only (RFC 4475 lwsstart, trws, lwsruri). */
const REQUEST_LINE = new RegExp(String.raw`^(${TOKEN}) ([^ ]+) (SIP/[0-9]+\.[0-9]+)$`, 'i');
/** Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; an absent final SP is tolerated (RFC 4475 noreason). */
const STATUS_LINE = /^(SIP\/[0-9]+\.[0-9]+) ([0-9]+)(?: ([\s\S]*))?$/i;

function parseStartLine(line: string): ParsedStartLine | undefined {
  const request = REQUEST_LINE.exec(line);
  if (request) {
    const version = request[3] as string;
    const start: StartLine = { kind: 'request', method: request[1], uri: request[2], status: undefined, reason: undefined, version };
    return version.toUpperCase() === 'SIP/2.0' ? { line: start } : { line: start, fault: { code: 505, reason: 'Version Not Supported' } };
  }
  const status = STATUS_LINE.exec(line);
  if (status) {
    const version = status[1] as string;
    const code = Number(status[2]);
    const start: StartLine = { kind: 'response', method: undefined, uri: undefined, status: code, reason: status[3] ?? '', version };
    if (version.toUpperCase() !== 'SIP/2.0') return { line: start, fault: { code: 'drop', reason: 'Version Not Supported' } };
    // RFC 4475 bigcode: 4294967301 must not wrap around into a valid code.
    return code >= 100 && code <= 699 ? { line: start } : { line: start, fault: { code: 'drop', reason: 'Malformed Status-Code' } };
  }
  // A request line that names a SIP version but is malformed gets a 400; anything else (STUN, garbage) is dropped.
  if (/^SIP\//i.test(line)) return { line: { kind: 'response', version: '' }, fault: { code: 'drop', reason: 'Malformed Status-Line' } };
  if (!/ SIP\//i.test(line)) return undefined;
  const method = line.slice(0, line.indexOf(' '));
  return { line: { kind: 'request', method: isToken(method) ? method : undefined, version: '' }, fault: { code: 400, reason: 'Malformed Request-Line' } };
}

/** Required headers present once and well-formed (RFC 3261 §8.1.1; RFC 4475 insuf, multi01, scalar02, quotbal). */
function headerFault(msg: ParsedMessage): Fault | undefined {
  const h = msg.headers;
  const missing = labels(REQUIRED, (name) => !h.has(name));
  if (missing) return { code: 400, reason: `Missing ${missing}` };
  const repeated = labels(SINGLE, (name) => (h.get(name)?.length ?? 0) > 1);
  if (repeated) return { code: 400, reason: `Repeated ${repeated}` };
  const maxForwards = h.get('max-forwards')?.[0];
  let malformed = '';
  if (msg.via().length === 0) malformed += ', Via';
  if (!msg.from()) malformed += ', From';
  if (!msg.to()) malformed += ', To';
  if (!/^[^ \t]+$/.test(msg.callId() as string)) malformed += ', Call-ID';
  if (!msg.cseq()) malformed += ', CSeq';
  if (maxForwards !== undefined && parseDecimal(maxForwards) === undefined) malformed += ', Max-Forwards';
  return malformed ? { code: 400, reason: `Malformed ${malformed.slice(2)}` } : undefined;
}

/** The labels of the headers that match, comma-separated; '' when none does. */
function labels(list: readonly (readonly [string, string])[], match: (name: string) => boolean): string {
  let out = '';
  for (const [name, label] of list) if (match(name)) out += out ? `, ${label}` : label;
  return out;
}

/** RFC 3261 §18.3: over UDP a shorter Content-Length cuts the datagram, a longer one is an error. */
function framingFault(msg: ParsedMessage, transport: 'udp' | 'tcp', available: number): Fault | undefined {
  const values = msg.headers.get('content-length');
  if (!values) return transport === 'tcp' ? { code: 400, reason: 'Missing Content-Length' } : undefined;
  const length = parseLength(values);
  if (Number.isNaN(length)) return { code: 400, reason: 'Malformed Content-Length' };
  return length > available ? { code: 400, reason: 'Content-Length larger than the message' } : undefined;
}

function requestFault(msg: ParsedMessage): Fault | undefined {
  const method = msg.method as string;
  if (msg.cseq()?.method !== method) {
    return KNOWN_METHODS.has(method)
      ? { code: 400, reason: 'CSeq method does not match the Request-Line' }
      : { code: 501, reason: 'Not Implemented' };
  }
  const uri = msg.requestUri();
  if (!uri) return { code: 400, reason: 'Malformed Request-URI' };
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips' && uri.scheme !== 'tel') return { code: 416, reason: 'Unsupported URI Scheme' };
  // RFC 3261 §19.1.5: headers are not allowed in a Request-URI (RFC 4475 escruri).
  return uri.headers !== undefined ? { code: 400, reason: 'Header fields in the Request-URI' } : undefined;
}

/**
 * A parsed SIP message: the start line and raw header values, with lazily computed, cached helpers for
 * the few values a decision or a response needs. The helpers never throw: malformed → undefined or [].
 */
import type { SipHeaders } from './headers.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';
import { TOKEN, splitList } from './syntax.js';
import { parseUri, type SipUri } from './uri.js';
import { parseViaList, type Via } from './via.js';

export interface StartLine {
  kind: 'request' | 'response';
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  version: string;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Strings throughout are latin1 views of the message bytes: byte-exact, UTF-8 left undecoded. */
export interface SipMessage extends StartLine {
  /** Raw values by lower-cased long name (compact forms mapped), one entry per line, folding undone. */
  headers: SipHeaders;
  body: Buffer;
  /** All Via values in order, comma lists split; [] if any value is malformed. */
  via(): Via[];
  from(): NameAddr | undefined;
  to(): NameAddr | undefined;
  /** P-Asserted-Identity values (RFC 3325: one, or sip/sips + tel) from one or several lines; malformed ones skipped. */
  pai(): NameAddr[];
  /** Each Identity line (RFC 8224; one per PASSporT) as its own raw value. */
  identity(): string[];
  callId(): string | undefined;
  /** undefined when absent or malformed (including a number above 2^32-1, RFC 4475 scalar02). */
  cseq(): CSeq | undefined;
  /** undefined when absent or not a plain decimal number (RFC 4475 ncl: -999). */
  contentLength(): number | undefined;
  /** The Request-URI parsed (requests only); undefined when malformed. */
  requestUri(): SipUri | undefined;
}

/** Cache slot not yet computed (undefined is a valid cached answer). */
const UNSET = null;

export class ParsedMessage implements SipMessage {
  kind: 'request' | 'response';
  method: string | undefined;
  uri: string | undefined;
  status: number | undefined;
  reason: string | undefined;
  version: string;
  headers: SipHeaders;
  private readonly buf: Buffer;
  private readonly bodyStart: number;
  private readonly bodyEnd: number;
  private bodyValue: Buffer | undefined = undefined;
  private vias: Via[] | typeof UNSET = UNSET;
  private fromValue: NameAddr | undefined | typeof UNSET = UNSET;
  private toValue: NameAddr | undefined | typeof UNSET = UNSET;
  private paiValues: NameAddr[] | typeof UNSET = UNSET;
  private cseqValue: CSeq | undefined | typeof UNSET = UNSET;
  private requestUriValue: SipUri | undefined | typeof UNSET = UNSET;

  /** The body is buf[bodyStart, bodyEnd), sliced on first use: the policy server never reads the SDP. */
  constructor(start: StartLine, headers: SipHeaders, buf: Buffer, bodyStart: number, bodyEnd: number) {
    this.kind = start.kind;
    this.method = start.method;
    this.uri = start.uri;
    this.status = start.status;
    this.reason = start.reason;
    this.version = start.version;
    this.headers = headers;
    this.buf = buf;
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyEnd;
  }

  get body(): Buffer {
    return (this.bodyValue ??= this.buf.subarray(this.bodyStart, this.bodyEnd));
  }

  via(): Via[] {
    if (this.vias === UNSET) this.vias = parseViaList(this.headers.get('via'));
    return this.vias;
  }

  from(): NameAddr | undefined {
    if (this.fromValue === UNSET) this.fromValue = this.first('from', parseNameAddr);
    return this.fromValue;
  }

  to(): NameAddr | undefined {
    if (this.toValue === UNSET) this.toValue = this.first('to', parseNameAddr);
    return this.toValue;
  }

  pai(): NameAddr[] {
    if (this.paiValues === UNSET) {
      const values: NameAddr[] = [];
      for (const line of this.headers.get('p-asserted-identity') ?? []) {
        for (const element of splitList(line)) {
          const nameAddr = parseNameAddr(element);
          if (nameAddr) values.push(nameAddr);
        }
      }
      this.paiValues = values;
    }
    return this.paiValues;
  }

  identity(): string[] {
    return this.headers.get('identity')?.slice() ?? [];
  }

  callId(): string | undefined {
    return this.headers.get('call-id')?.[0];
  }

  cseq(): CSeq | undefined {
    if (this.cseqValue === UNSET) this.cseqValue = this.first('cseq', parseCSeq);
    return this.cseqValue;
  }

  contentLength(): number | undefined {
    const value = this.headers.get('content-length')?.[0];
    return value === undefined ? undefined : parseDecimal(value);
  }

  requestUri(): SipUri | undefined {
    if (this.requestUriValue === UNSET) this.requestUriValue = this.uri === undefined ? undefined : parseUri(this.uri);
    return this.requestUriValue;
  }

  private first<T>(name: string, parse: (value: string) => T | undefined): T | undefined {
    const value = this.headers.get(name)?.[0];
    return value === undefined ? undefined : parse(value);
  }
}

/** CSeq = 1*DIGIT LWS Method, the number at most 2^32-1 (RFC 3261 §8.1.1.5, RFC 4475 scalar02). */
const CSEQ = new RegExp(`^([0-9]+)[ \\t]+(${TOKEN})$`);

function parseCSeq(value: string): CSeq | undefined {
  const m = CSEQ.exec(value);
  if (!m) return undefined;
  const seq = parseDecimal(m[1] as string);
  return seq !== undefined && seq <= 0xffffffff ? { seq, method: m[2] as string } : undefined;
}

/** Digits only, leading zeros allowed (RFC 4475 wsinv `0009`); undefined for anything else. */
export function parseDecimal(s: string): number | undefined {
  if (s.length === 0) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(s);
}

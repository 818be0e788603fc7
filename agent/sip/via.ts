/** Via values (RFC 3261 §20.42, RFC 3581 rport): the transaction key and where a response goes. */
import { TOKEN, parseParams, splitList } from './syntax.js';
import { HOST } from './uri.js';

export interface Via {
  /** Upper-cased: UDP, TCP, TLS, SCTP, WS, … or anything else a peer wrote. */
  transport: string;
  /** sent-by host as written (an IPv6 reference keeps its brackets). */
  host: string;
  port?: number;
  /** Names lower-cased, values as written; `rport` without a value is null. */
  params: Map<string, string | null>;
  /** The branch value (a `z9hG4bK` prefix marks an RFC 3261 transaction id); absent in RFC 2543 traffic. */
  branch?: string;
  /** This value as received (one element of a possibly comma-joined line), trimmed. */
  raw: string;
}

/** sent-protocol LWS sent-by, LWS allowed around each `/` and `:` (RFC 4475 wsinv); the parameters follow. */
const VIA = new RegExp(String.raw`^${TOKEN}[ \t]*/[ \t]*${TOKEN}[ \t]*/[ \t]*(${TOKEN})[ \t]+(${HOST})(?:[ \t]*:[ \t]*([0-9]{1,5}))?(?=[ \t;]|$)`);

/**
 * All Via values of the message in order, comma lists split. All or nothing: one malformed value
 * (RFC 4475 badinv01: `;;,;,,`) makes the whole list [] so that no response is routed on a guess.
 */
export function parseViaList(lines: readonly string[] | undefined): Via[] {
  if (!lines) return [];
  const vias: Via[] = [];
  for (const line of lines) {
    for (const element of splitList(line)) {
      const via = parseVia(element);
      if (!via) return [];
      vias.push(via);
    }
  }
  return vias;
}

/** One via-parm; undefined when malformed. */
export function parseVia(raw: string): Via | undefined {
  const m = VIA.exec(raw);
  if (!m) return undefined;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && port > 65535) return undefined;
  const params = parseParams(raw, m[0].length);
  if (!params) return undefined;
  const branch = params.get('branch') || undefined;
  return { transport: (m[1] as string).toUpperCase(), host: m[2] as string, port, params, branch, raw };
}

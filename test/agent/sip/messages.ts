/** Builds SIP test messages: CRLF line ends, the empty line, the body; latin1 so any byte can be written. */

export const REQUEST_LINE = 'INVITE sip:+12025550143@192.0.2.10;user=phone SIP/2.0';

/** The headers every request needs, in a carrier-typical order. */
export const BASE_HEADERS = [
  'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:+13125550117@198.51.100.7;user=phone>;tag=a1',
  'To: <sip:+12025550143@192.0.2.10;user=phone>',
  'Call-ID: c1@198.51.100.7',
  'CSeq: 1 INVITE',
];

/** The message exactly as given: start line and header lines, then the body. */
export function sip(lines: readonly string[], body: string | Buffer = ''): Buffer {
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return Buffer.concat([head, typeof body === 'string' ? Buffer.from(body, 'latin1') : body]);
}

/** An INVITE with the base headers, `extra` after them and a matching Content-Length. */
export function invite(extra: readonly string[] = [], body: string | Buffer = ''): Buffer {
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'latin1') : body.length;
  return sip([REQUEST_LINE, ...BASE_HEADERS, ...extra, `Content-Length: ${length}`], body);
}

/** The base headers with the one named `name` (case-insensitively) replaced by `line`, or removed. */
export function baseWith(name: string, line?: string): string[] {
  const prefix = `${name.toLowerCase()}:`;
  return BASE_HEADERS.flatMap((h) => (h.toLowerCase().startsWith(prefix) ? (line === undefined ? [] : [line]) : [h]));
}

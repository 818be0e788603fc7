import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BYTES, parseSip, type SipMessage, type SipParseError } from '../../../agent/sip/parser.js';
import { BASE_HEADERS, REQUEST_LINE, baseWith, invite, sip } from './messages.js';

function accepted(buf: Buffer, transport: 'udp' | 'tcp' = 'udp'): SipMessage {
  const r = parseSip(buf, { transport });
  expect(r.ok ? 'accepted' : `${r.error.code} ${r.error.reason}`).toBe('accepted');
  if (!r.ok) throw new Error('unreachable');
  return r.msg;
}

function rejected(buf: Buffer, opts: { transport?: 'udp' | 'tcp'; maxBytes?: number } = {}): SipParseError {
  const r = parseSip(buf, opts);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('unreachable');
  return r.error;
}

describe('parseSip: header section', () => {
  it('unfolds continuation lines into one value, CRLF and the white space around it becoming one SP', () => {
    const m = accepted(invite(['Subject: first  \r\n   second\r\n\tthird', 'X-Empty:', 'X-Lead:\r\n value']));
    expect(m.headers.get('subject')).toEqual(['first second third']);
    expect(m.headers.get('x-empty')).toEqual(['']);
    expect(m.headers.get('x-lead')).toEqual(['value']);
  });

  it('unfolds inside a From and a Via before parsing them', () => {
    const m = accepted(
      sip([
        REQUEST_LINE,
        'Via: SIP/2.0/UDP 198.51.100.7\r\n ;branch=z9hG4bK-f\r\n ;rport',
        ...baseWith('via').filter((h) => !h.startsWith('From')),
        'From: "Alice"\r\n <sip:alice@example.com>\r\n ;tag=folded',
        'Content-Length: 0',
      ]),
    );
    expect([m.via()[0]?.branch, m.via()[0]?.params.get('rport')]).toEqual(['z9hG4bK-f', null]);
    expect([m.from()?.display, m.from()?.uri.user, m.from()?.params.get('tag')]).toEqual(['Alice', 'alice', 'folded']);
  });

  it.each([
    ['a', 'accept-contact'], ['b', 'referred-by'], ['c', 'content-type'], ['d', 'request-disposition'],
    ['e', 'content-encoding'], ['j', 'reject-contact'], ['k', 'supported'], ['m', 'contact'], ['o', 'event'],
    ['r', 'refer-to'], ['s', 'subject'], ['u', 'allow-events'], ['x', 'session-expires'], ['y', 'identity'],
  ])('maps the compact form %s to %s, in either case', (compact, long) => {
    const m = accepted(invite([`${compact}: lower`, `${compact.toUpperCase()}: upper`]));
    expect(m.headers.get(long)).toEqual(['lower', 'upper']);
    expect(m.headers.has(compact)).toBe(false);
  });

  it('maps the compact forms of the required headers (f, t, i, v, l)', () => {
    const m = accepted(
      sip([
        REQUEST_LINE,
        'v: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-c',
        'f: <sip:alice@example.com>;tag=c',
        't: <sip:bob@example.com>',
        'i: compact@example.com',
        'CSeq: 1 INVITE',
        'l: 0',
      ]),
    );
    expect([m.via()[0]?.branch, m.from()?.uri.user, m.to()?.uri.user, m.callId(), m.contentLength()]).toEqual([
      'z9hG4bK-c', 'alice', 'bob', 'compact@example.com', 0,
    ]);
  });

  it('matches header names case-insensitively, with white space before the colon', () => {
    const m = accepted(invite(['X-Custom  : one', 'x-CUSTOM\t: two', 'P-ASSERTED-identity: <tel:+13125550117>']));
    expect(m.headers.get('x-custom')).toEqual(['one', 'two']);
    expect(m.pai().map((p) => p.uri.raw)).toEqual(['tel:+13125550117']);
  });

  it('keeps repeated unknown headers and list headers as one entry per line, in order', () => {
    const m = accepted(invite(['Route: <sip:a.example.com;lr>, <sip:b.example.com;lr>', 'Route: <sip:c.example.com;lr>']));
    expect(m.headers.get('route')).toEqual(['<sip:a.example.com;lr>, <sip:b.example.com;lr>', '<sip:c.example.com;lr>']);
  });

  it('never splits authentication headers on their commas', () => {
    const auth = 'Digest username="alice", realm="example.com", nonce="a,b", uri="sip:x", response="00"';
    const m = accepted(invite([`Authorization: ${auth}`, `Proxy-Authorization: ${auth}`, `WWW-Authenticate: ${auth}`]));
    for (const name of ['authorization', 'proxy-authorization', 'www-authenticate']) expect(m.headers.get(name)).toEqual([auth]);
  });

  it('reports a header line without a colon as a 400 naming it, with the rest parsed', () => {
    const e = rejected(invite(['this line has no colon']));
    expect([e.code, e.reason]).toEqual([400, 'Malformed header line']);
    expect(e.partial?.from()?.uri.user).toBe('+13125550117');
  });

  it('keeps UTF-8 and control bytes of values byte for byte (latin1 view)', () => {
    const subject = Buffer.from('Grüße \x00\x07 — 電話', 'utf8').toString('latin1');
    const m = accepted(invite([`Subject: ${subject}`]));
    expect(Buffer.from(m.headers.get('subject')?.[0] ?? '', 'latin1').toString('utf8')).toBe('Grüße \x00\x07 — 電話');
  });
});

describe('parseSip: Via lists', () => {
  const vias = ['SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1', 'SIP/2.0/TCP 203.0.113.5;branch=z9hG4bK-2;x="a,b"', 'SIP/2.0/TLS [2001:db8::5]:5061;branch=z9hG4bK-3'];

  it('reads the same Vias whether joined on one line or repeated', () => {
    const joined = accepted(sip([REQUEST_LINE, `Via: ${vias.join(', ')}`, ...baseWith('via'), 'Content-Length: 0']));
    const repeated = accepted(sip([REQUEST_LINE, ...vias.map((v) => `Via: ${v}`), ...baseWith('via'), 'Content-Length: 0']));
    const mixed = accepted(sip([REQUEST_LINE, `v: ${vias[0]}`, `Via: ${vias[1]},${vias[2]}`, ...baseWith('via'), 'Content-Length: 0']));
    for (const m of [joined, repeated, mixed]) {
      expect(m.via().map((v) => [v.transport, v.host, v.port, v.branch])).toEqual([
        ['UDP', '198.51.100.7', 5060, 'z9hG4bK-1'],
        ['TCP', '203.0.113.5', undefined, 'z9hG4bK-2'],
        ['TLS', '[2001:db8::5]', 5061, 'z9hG4bK-3'],
      ]);
    }
    expect(joined.via()[1]?.params.get('x')).toBe('"a,b"');
  });

  it('rejects the message when any Via value is malformed', () => {
    const e = rejected(sip([REQUEST_LINE, `Via: ${vias[0]}, SIP/2.0/UDP`, ...baseWith('via'), 'Content-Length: 0']));
    expect([e.code, e.reason]).toEqual([400, 'Malformed Via']);
  });
});

describe('parseSip: P-Asserted-Identity and Identity', () => {
  const sipPai = '"Alice" <sip:+13125550117@198.51.100.7;user=phone>';
  const telPai = '<tel:+1-312-555-0117>';

  it.each([
    ['sip and tel on one line', [`P-Asserted-Identity: ${sipPai}, ${telPai}`]],
    ['sip and tel on two lines', [`P-Asserted-Identity: ${sipPai}`, `P-Asserted-Identity: ${telPai}`]],
    ['sip and tel on one line, no space after the comma', [`P-Asserted-Identity: ${sipPai},${telPai}`]],
  ])('reads both values from %s', (_, lines) => {
    const pai = accepted(invite(lines)).pai();
    expect(pai.map((p) => [p.uri.scheme, p.uri.user])).toEqual([['sip', '+13125550117'], ['tel', '+1-312-555-0117']]);
    expect(pai[0]?.display).toBe('Alice');
  });

  it('keeps the order tel, sip when the tel value comes first', () => {
    const pai = accepted(invite([`P-Asserted-Identity: ${telPai}, ${sipPai}`])).pai();
    expect(pai.map((p) => p.uri.scheme)).toEqual(['tel', 'sip']);
  });

  it('skips a malformed value and keeps the good one', () => {
    const pai = accepted(invite([`P-Asserted-Identity: "unterminated <sip:x@y>`, `P-Asserted-Identity: ${telPai}`])).pai();
    expect(pai.map((p) => p.uri.raw)).toEqual(['tel:+1-312-555-0117']);
  });

  it('gives no PAI and no Identity when the headers are absent', () => {
    const m = accepted(invite());
    expect([m.pai(), m.identity()]).toEqual([[], []]);
  });

  it('keeps each Identity line (long or compact form) as its own raw value', () => {
    const shaken = 'eyJhbGciOiJFUzI1NiJ9.eyJhdHRlc3QiOiJBIn0.c2ln;info=<https://cert.example.org/a,b.pem>;alg=ES256;ppt=shaken';
    const div = 'eyJhbGciOiJFUzI1NiJ9.eyJkaXYiOnt9fQ.c2ln;info=<https://cert.example.org/d.pem>;alg=ES256;ppt=div';
    const m = accepted(invite([`Identity: ${shaken}`, `y: ${div}`, `IDENTITY: ${shaken}`]));
    expect(m.identity()).toEqual([shaken, div, shaken]);
  });
});

describe('parseSip: framing and size', () => {
  it('ignores bytes beyond a shorter Content-Length over UDP and TCP', () => {
    const buf = sip([REQUEST_LINE, ...BASE_HEADERS, 'Content-Length: 4'], 'v=0\r\nextra');
    for (const transport of ['udp', 'tcp'] as const) expect(accepted(buf, transport).body.toString('latin1')).toBe('v=0\r');
  });

  it('rejects a Content-Length larger than the message with 400', () => {
    const e = rejected(sip([REQUEST_LINE, ...BASE_HEADERS, 'Content-Length: 100'], 'v=0'));
    expect([e.code, e.reason]).toEqual([400, 'Content-Length larger than the message']);
  });

  it('takes the rest of the datagram as body without Content-Length over UDP only', () => {
    const buf = sip([REQUEST_LINE, ...BASE_HEADERS], 'v=0\r\n');
    expect(accepted(buf, 'udp').body.toString('latin1')).toBe('v=0\r\n');
    const e = rejected(buf, { transport: 'tcp' });
    expect([e.code, e.reason]).toEqual([400, 'Missing Content-Length']);
  });

  it.each(['-1', '1e3', ' ', '0x10', '12 34'])('rejects Content-Length %j with 400', (value) => {
    const e = rejected(sip([REQUEST_LINE, ...BASE_HEADERS, `Content-Length: ${value}`], 'v=0'));
    expect([e.code, e.reason]).toEqual([400, 'Malformed Content-Length']);
  });

  it('reads a Content-Length with leading zeros', () => {
    expect(accepted(sip([REQUEST_LINE, ...BASE_HEADERS, 'Content-Length: 0003'], 'v=0')).contentLength()).toBe(3);
  });

  it('keeps a binary body byte for byte, NUL, CR and LF included', () => {
    const body = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x80, 0x7f, 0x00]);
    const m = accepted(invite([], body));
    expect(m.body.equals(body)).toBe(true);
  });

  it('drops input above the size cap unparsed, 64 KiB by default', () => {
    const big = invite(['X-Pad: ' + 'p'.repeat(DEFAULT_MAX_BYTES)]);
    const e = rejected(big);
    expect([e.code, e.reason, e.partial]).toEqual(['drop', 'Message larger than 65536 bytes', undefined]);
    const small = invite();
    expect(parseSip(small, { maxBytes: small.length }).ok).toBe(true);
    expect(rejected(small, { maxBytes: small.length - 1 }).reason).toBe(`Message larger than ${small.length - 1} bytes`);
  });

  it('skips CRLFs before the start line and drops a CRLF-only keep-alive', () => {
    expect(accepted(Buffer.concat([Buffer.from('\r\n\r\n'), invite()])).method).toBe('INVITE');
    expect(rejected(Buffer.from('\r\n\r\n'))).toEqual({ code: 'drop', reason: 'Empty message' });
    expect(rejected(Buffer.alloc(0))).toEqual({ code: 'drop', reason: 'Empty message' });
  });

  it('drops what is not SIP at all (a STUN binding request, text)', () => {
    const stun = Buffer.from('000100002112a442b7e7a701bc34d686fa87dfae', 'hex');
    expect(rejected(stun)).toEqual({ code: 'drop', reason: 'Not a SIP message' });
    expect(rejected(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toEqual({ code: 'drop', reason: 'Not a SIP message' });
  });

  it('accepts headers ending at the end of a UDP datagram, but not of a TCP message', () => {
    const buf = Buffer.from(`${[REQUEST_LINE, ...BASE_HEADERS, 'Content-Length: 0'].join('\r\n')}\r\n`, 'latin1');
    expect(accepted(buf, 'udp').body.length).toBe(0);
    expect(rejected(buf, { transport: 'tcp' }).reason).toBe('No empty line after the header fields');
  });
});

describe('parseSip: faults and their status codes', () => {
  it.each([
    ['From', 'From'], ['To', 'To'], ['Call-ID', 'Call-ID'], ['CSeq', 'CSeq'], ['Via', 'Via'],
  ])('rejects a request without %s with 400 naming it', (name, label) => {
    const e = rejected(sip([REQUEST_LINE, ...baseWith(name), 'Content-Length: 0']));
    expect([e.code, e.reason]).toEqual([400, `Missing ${label}`]);
  });

  it('accepts a request without Max-Forwards (RFC 2543) but not a malformed one', () => {
    expect(accepted(sip([REQUEST_LINE, ...baseWith('max-forwards'), 'Content-Length: 0'])).method).toBe('INVITE');
    const e = rejected(sip([REQUEST_LINE, ...baseWith('max-forwards', 'Max-Forwards: seventy'), 'Content-Length: 0']));
    expect([e.code, e.reason]).toEqual([400, 'Malformed Max-Forwards']);
  });

  it('names every malformed required header in one reason', () => {
    const lines = [REQUEST_LINE, ...baseWith('from', 'From: Bell, Alexander <sip:a@b>').filter((h) => !h.startsWith('CSeq')), 'CSeq: one INVITE', 'Content-Length: 0'];
    expect(rejected(sip(lines)).reason).toBe('Malformed From, CSeq');
  });

  it('answers an unsupported SIP version with 505 and keeps what the answer needs', () => {
    const e = rejected(sip(['INVITE sip:bob@example.com SIP/3.0', ...BASE_HEADERS, 'Content-Length: 0']));
    expect([e.code, e.reason, e.partial?.version, e.partial?.callId()]).toEqual([505, 'Version Not Supported', 'SIP/3.0', 'c1@198.51.100.7']);
  });

  it('answers a CSeq method mismatch with 400 for a known method and 501 for an unknown one', () => {
    const known = rejected(sip(['OPTIONS sip:bob@example.com SIP/2.0', ...BASE_HEADERS, 'Content-Length: 0']));
    expect([known.code, known.reason]).toEqual([400, 'CSeq method does not match the Request-Line']);
    const unknown = rejected(sip(['FROBNICATE sip:bob@example.com SIP/2.0', ...BASE_HEADERS, 'Content-Length: 0']));
    expect([unknown.code, unknown.reason]).toEqual([501, 'Not Implemented']);
  });

  it.each([
    ['mailto:bob@example.com', 416, 'Unsupported URI Scheme'],
    ['urn:service:sos', 416, 'Unsupported URI Scheme'],
    ['<sip:bob@example.com>', 400, 'Malformed Request-URI'],
    ['sip:', 400, 'Malformed Request-URI'],
    ['tel:12345', 400, 'Malformed Request-URI'],
  ])('answers the Request-URI %s with %i', (uri, code, reason) => {
    const e = rejected(sip([`INVITE ${uri} SIP/2.0`, ...BASE_HEADERS, 'Content-Length: 0']));
    expect([e.code, e.reason]).toEqual([code, reason]);
  });

  it.each(['sips:bob@example.com', 'tel:+1-202-555-0143', 'tel:5550143;phone-context=+1202', 'SIP:bob@EXAMPLE.com:5060'])(
    'accepts the Request-URI %s',
    (uri) => {
      expect(accepted(sip([`INVITE ${uri} SIP/2.0`, ...BASE_HEADERS, 'Content-Length: 0'])).requestUri()?.raw).toBe(uri);
    },
  );

  it('parses a response as a response and drops a faulty one instead of answering it', () => {
    const ok = accepted(sip(['SIP/2.0 180 Ringing', ...BASE_HEADERS.slice(0, 1), ...BASE_HEADERS.slice(2), 'Content-Length: 0']));
    expect([ok.kind, ok.status, ok.reason, ok.method]).toEqual(['response', 180, 'Ringing', undefined]);
    const missing = rejected(sip(['SIP/2.0 200 OK', 'Content-Length: 0']));
    expect([missing.code, missing.reason, missing.partial?.kind]).toEqual(['drop', 'Missing Via, From, To, Call-ID, CSeq', 'response']);
    for (const line of ['SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/2.0 2000 Long', 'SIP/2.0 OK']) {
      expect(rejected(sip([line, ...BASE_HEADERS, 'Content-Length: 0'])).code).toBe('drop');
    }
  });
});

describe('parseSip: never throws', () => {
  const valid = invite(['P-Asserted-Identity: <sip:+13125550117@x>, <tel:+13125550117>', 'Identity: abc;info=<https://x>'], 'v=0\r\n');

  function exercise(buf: Buffer, transport: 'udp' | 'tcp'): void {
    const r = parseSip(buf, { transport });
    const msg = r.ok ? r.msg : r.error.partial;
    if (!r.ok) expect(typeof r.error.reason).toBe('string');
    if (!msg) return;
    msg.via();
    msg.from();
    msg.to();
    msg.pai();
    msg.identity();
    msg.callId();
    msg.cseq();
    msg.contentLength();
    msg.requestUri();
    expect(Buffer.isBuffer(msg.body)).toBe(true);
  }

  it('returns a result for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom('udp', 'tcp'), (bytes, transport) => {
        exercise(Buffer.from(bytes), transport as 'udp' | 'tcp');
      }),
      { numRuns: 2000 },
    );
  });

  it('returns a result for a valid INVITE with bytes overwritten, inserted or cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length), fc.constantFrom(0, 9, 10, 13, 32, 34, 44, 58, 59, 60, 62, 64, 92, 255)), { minLength: 1, maxLength: 8 }),
        fc.nat(valid.length),
        (edits, cut) => {
          const buf = Buffer.from(valid);
          for (const [at, byte] of edits) buf[Math.min(at, buf.length - 1)] = byte;
          exercise(buf.subarray(0, Math.max(cut, 1)), 'udp');
          exercise(buf, 'tcp');
        },
      ),
      { numRuns: 3000 },
    );
  });
});

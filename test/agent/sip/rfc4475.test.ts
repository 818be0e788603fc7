/**
 * The 49 RFC 4475 torture messages (test/fixtures/rfc4475, byte-exact), each checked against what
 * INDEX.tsv says a compliant element does. Per-message values cross-checked with resiprocate's
 * resip/stack/test/RFC4475TortureTests.cxx.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNameAddr, parseSip, type SipMessage, type SipParseError } from '../../../agent/sip/parser.js';
import { buildResponse } from '../../../agent/sip/response.js';

const dir = new URL('../../fixtures/rfc4475/', import.meta.url);
const load = (file: string): Buffer => readFileSync(new URL(file, dir));
const utf8 = (latin1: string | null | undefined): string => Buffer.from(latin1 ?? '', 'latin1').toString('utf8');

interface IndexRow {
  file: string;
  section: string;
  title: string;
  expected: string;
}
const index: IndexRow[] = readFileSync(new URL('INDEX.tsv', dir), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [file = '', section = '', title = '', expected = ''] = line.split('\t');
    return { file, section, title, expected };
  });

function accepted(file: string, transport: 'udp' | 'tcp' = 'udp'): SipMessage {
  const r = parseSip(load(file), { transport });
  expect(r.ok ? 'accepted' : `${r.error.code} ${r.error.reason}`).toBe('accepted');
  if (!r.ok) throw new Error('unreachable');
  return r.msg;
}

function rejected(file: string, code: SipParseError['code'], reason: string, transport: 'udp' | 'tcp' = 'udp'): SipParseError {
  const r = parseSip(load(file), { transport });
  expect(r.ok ? 'accepted' : `${r.error.code} ${r.error.reason}`).toBe(`${code} ${reason}`);
  if (r.ok) throw new Error('unreachable');
  return r.error;
}

/** A request the server can answer: its 400/416/501/505 partial carries what the answer copies. */
function answerable(error: SipParseError): SipMessage {
  const partial = error.partial;
  expect(partial?.kind).toBe('request');
  expect(partial?.via().length).toBeGreaterThan(0);
  expect(partial?.cseq()).toBeDefined();
  return partial as SipMessage;
}

function contactOf(msg: SipMessage, line = 0) {
  return parseNameAddr(msg.headers.get('contact')?.[line] ?? '');
}

const checks: Record<string, { behaviour: string; check: (file: string) => void }> = {
  'wsinv.dat': {
    behaviour: 'accepts the folded, mixed-case INVITE with its 3 Vias, tags, leading zeros and unknown headers',
    check: (f) => {
      const m = accepted(f);
      expect(m.method).toBe('INVITE');
      expect(m.requestUri()?.params.get('unknownparam')).toBeNull();
      expect(m.to()?.display).toBeUndefined();
      expect([m.to()?.uri.user, m.to()?.uri.host, m.to()?.params.get('tag')]).toEqual(['vivekg', 'chair-dnrc.example.com', '1918181833n']);
      expect([m.from()?.display, m.from()?.uri.user, m.from()?.params.get('tag')]).toEqual(['J Rosenberg \\"', 'jdrosen', '98asjd8']);
      expect(m.via().map((v) => [v.transport, v.host, v.branch])).toEqual([
        ['UDP', '192.0.2.2', '390skdjuw'],
        ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ]);
      expect(m.cseq()).toEqual({ seq: 9, method: 'INVITE' });
      expect(m.callId()).toBe('wsinv.ndaksdj@192.0.2.1');
      expect(m.headers.get('max-forwards')).toEqual(['0068']);
      expect(m.headers.get('subject')).toEqual(['']);
      expect(m.headers.get('newfangledheader')).toEqual(['newfangled value continued newfangled value']);
      expect(m.headers.get('unknownheaderwithunusualvalue')).toEqual([';;,,;;,;']);
      const contact = contactOf(m);
      expect(contact?.display).toBe('Quoted string ""');
      expect([...(contact?.params ?? [])]).toEqual([['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
      expect([m.contentLength(), m.body.length]).toEqual([150, 150]);
    },
  },
  'intmeth.dat': {
    behaviour: 'accepts the unknown token method, quoted NUL/BEL/DEL and UTF-8 values byte for byte',
    check: (f) => {
      const m = accepted(f);
      const method = "!interesting-Method0123456789_*+`.%indeed'~";
      expect(m.method).toBe(method);
      expect(m.cseq()).toEqual({ seq: 139122385, method });
      expect(m.requestUri()?.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
      expect(m.requestUri()?.host).toBe('example.com');
      expect(m.to()?.display).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
      expect(m.from()?.display).toBe("token1~` token2'+_ token3*%!.-");
      expect(m.from()?.params.get('tag')).toBe("_token~1'+`*%!-.");
      expect(utf8(m.from()?.params.get("fromparam''~+*_!.-%"))).toBe('"работающий"');
      expect(m.callId()).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
      expect(utf8(m.headers.get("extensionheader-!.%*+_`'~")?.[0])).toBe('\u{feff}大停電');
      expect(m.via()[0]).toMatchObject({ transport: 'TCP', branch: "z9hG4bK-.!%66*_+`'~" });
    },
  },
  'esc01.dat': {
    behaviour: 'decodes %HH in URI user parts and parameters exactly once',
    check: (f) => {
      const m = accepted(f);
      expect([m.requestUri()?.user, m.requestUri()?.host]).toEqual(['sips:user@example.com', 'example.net']);
      expect(m.to()?.uri.user).toBe('user');
      expect(m.from()?.uri.user).toBe('I have spaces');
      const contact = contactOf(m);
      expect(contact?.uri.user).toBe('caller');
      expect([...(contact?.uri.params ?? [])]).toEqual([['lr', null], ['name', 'value%41']]);
    },
  },
  'escnull.dat': {
    behaviour: 'keeps an escaped NUL inside the user part and tells the two Contacts apart',
    check: (f) => {
      const m = accepted(f);
      expect(m.to()?.uri.user).toBe('null-\x00-null');
      expect(m.from()?.uri.user).toBe('null-\x00-null');
      expect([contactOf(m, 0)?.uri.user, contactOf(m, 1)?.uri.user]).toEqual(['\x00', '\x00\x00']);
    },
  },
  'esc02.dat': {
    behaviour: 'treats RE%47IST%45R as an unknown method and C%6Fntact as an unknown header',
    check: (f) => {
      const m = accepted(f);
      expect(m.method).toBe('RE%47IST%45R');
      expect(m.headers.get('contact')).toHaveLength(2);
      expect(m.headers.get('c%6fntact')).toEqual(['<sip:alias2@host2.example.com>']);
      expect(m.to()?.display).toBe('%Z%45');
      expect(m.via()[0]?.transport).toBe('TCP');
    },
  },
  'lwsdisp.dat': {
    behaviour: 'accepts a token display name with no space before <',
    check: (f) => {
      const m = accepted(f);
      expect([m.from()?.display, m.from()?.uri.user, m.from()?.params.get('tag')]).toEqual(['caller', 'caller', '323']);
    },
  },
  'longreq.dat': {
    behaviour: 'keeps the 34 Vias and the very long names, tags and values untruncated',
    check: (f) => {
      const m = accepted(f);
      const vias = m.via();
      expect(vias).toHaveLength(34);
      expect(vias.every((v) => v.transport === 'TCP')).toBe(true);
      expect([vias[0]?.host, vias[0]?.branch]).toEqual(['sip33.example.com', undefined]);
      expect(vias[33]?.params.get('received')).toBe('192.0.2.5');
      expect(vias[33]?.branch).toMatch(/^verylong(long)+branchvalue$/);
      expect(m.to()?.display).toBe('I have a user name of extremeextremeextremeextremeextremeextremeextremeextremeextremeextreme proportion');
      expect(m.to()?.uri.port).toBe(6000);
      expect(m.from()?.uri.user).toBe('amazinglylongcallername'.repeat(5));
      expect(m.from()?.params.get('tag')).toBe(`1${'298'.repeat(50)}2424`);
      expect(m.callId()).toBe(`longreq.one${'really'.repeat(20)}longcallid`);
      expect(m.contentLength()).toBe(150);
    },
  },
  'dblreq.dat': {
    behaviour: 'handles the REGISTER and ignores the INVITE-looking bytes after its Content-Length: 0',
    check: (f) => {
      for (const transport of ['udp', 'tcp'] as const) {
        const m = accepted(f, transport);
        expect([m.method, m.callId(), m.body.length]).toEqual(['REGISTER', 'dblreq.0ha0isndaksdj99sdfafnl3lk233412', 0]);
      }
    },
  },
  'semiuri.dat': {
    behaviour: 'keeps ;par=u in the Request-URI user part, %40 decoded once',
    check: (f) => {
      const m = accepted(f);
      expect([m.requestUri()?.user, m.requestUri()?.host]).toEqual(['user;par=u@example.net', 'example.com']);
      expect(m.requestUri()?.params.size).toBe(0);
      expect(m.headers.get('accept')).toEqual([
        'application/sdp, application/pkcs7-mime, multipart/mixed, multipart/signed, message/sip, message/sipfrag',
      ]);
    },
  },
  'transports.dat': {
    behaviour: 'parses SCTP, TLS and UNKNOWN transports in the lower Vias',
    check: (f) => {
      const m = accepted(f);
      expect(m.via().map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
      expect(m.callId()).toBe('transports.kijh4akdnaqjkwendsasfdj');
    },
  },
  'mpart01.dat': {
    behaviour: 'frames the binary multipart body strictly by Content-Length',
    check: (f) => {
      const m = accepted(f);
      const bytes = load(f);
      expect(m.body.equals(bytes.subarray(bytes.length - 553))).toBe(true);
      expect(m.body.includes(0)).toBe(true);
      expect(m.identity()).toHaveLength(1);
      expect(m.headers.get('route')).toEqual(['<sip:127.0.0.1:5080>']);
      expect(m.via()[0]?.params.get('rport')).toBeNull();
    },
  },
  'unreason.dat': {
    behaviour: 'parses the 200 response with a UTF-8 reason phrase as a response',
    check: (f) => {
      const m = accepted(f);
      expect([m.kind, m.status]).toEqual(['response', 200]);
      expect(utf8(m.reason)).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    },
  },
  'noreason.dat': {
    behaviour: 'parses the 100 response with an empty reason phrase as a response',
    check: (f) => {
      const m = accepted(f);
      expect([m.kind, m.status, m.reason]).toEqual(['response', 100, '']);
    },
  },
  'badinv01.dat': {
    behaviour: 'rejects the stray ; and , in Via with 400, the Via still echoed for the answer',
    check: (f) => {
      const e = rejected(f, 400, 'Malformed Via');
      expect(e.partial?.via()).toEqual([]);
      expect(buildResponse(e.partial as SipMessage, 400, e.reason).toString('latin1')).toContain('Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n');
    },
  },
  'clerr.dat': {
    behaviour: 'rejects a Content-Length of 9999 beyond the datagram with 400',
    check: (f) => {
      answerable(rejected(f, 400, 'Content-Length larger than the message'));
      rejected(f, 400, 'Content-Length larger than the message', 'tcp');
    },
  },
  'ncl.dat': {
    behaviour: 'rejects the negative Content-Length with 400 and never uses it as a length',
    check: (f) => {
      const e = rejected(f, 400, 'Malformed Content-Length');
      expect(answerable(e).body.length).toBe(0);
    },
  },
  'scalar02.dat': {
    behaviour: 'rejects the CSeq above 2^32-1 with 400 (Max-Forwards 300 alone is not the fault)',
    check: (f) => {
      const e = rejected(f, 400, 'Malformed CSeq');
      expect(e.partial?.via()).toHaveLength(1);
    },
  },
  'scalarlg.dat': {
    behaviour: 'drops the 503 response with overlarge scalars instead of answering it',
    check: (f) => {
      const e = rejected(f, 'drop', 'Malformed CSeq');
      expect([e.partial?.kind, e.partial?.status]).toEqual(['response', 503]);
    },
  },
  'quotbal.dat': {
    behaviour: 'rejects the unterminated quoted display name in To with 400',
    check: (f) => void answerable(rejected(f, 400, 'Malformed To')),
  },
  'ltgtruri.dat': {
    behaviour: 'rejects the Request-URI enclosed in <> with 400',
    check: (f) => void answerable(rejected(f, 400, 'Malformed Request-URI')),
  },
  'lwsruri.dat': {
    behaviour: 'rejects the Request-URI with embedded LWS with 400',
    check: (f) => void answerable(rejected(f, 400, 'Malformed Request-Line')),
  },
  'lwsstart.dat': {
    behaviour: 'rejects the Request-Line with multiple SPs with 400',
    check: (f) => {
      const partial = answerable(rejected(f, 400, 'Malformed Request-Line'));
      expect(partial.method).toBe('INVITE');
    },
  },
  'trws.dat': {
    behaviour: 'rejects the Request-Line with trailing SPs with 400',
    check: (f) => void answerable(rejected(f, 400, 'Malformed Request-Line')),
  },
  'escruri.dat': {
    behaviour: 'rejects escaped headers in the Request-URI with 400',
    check: (f) => void answerable(rejected(f, 400, 'Header fields in the Request-URI')),
  },
  'baddate.dat': {
    behaviour: 'accepts the INVITE and leaves the EST Date alone',
    check: (f) => {
      const m = accepted(f);
      expect(m.headers.get('date')).toEqual(['Fri, 01 Jan 2010 16:00:00 EST']);
    },
  },
  'regbadct.dat': {
    behaviour: 'accepts the REGISTER, inferring <> around the Contact URI with an escaped header',
    check: (f) => {
      const contact = contactOf(accepted(f));
      expect([contact?.uri.user, contact?.uri.headers]).toEqual(['user', 'Route=%3Csip:sip.example.com%3E']);
    },
  },
  'badaspec.dat': {
    behaviour: 'rejects the spaces inside <> in To with 400',
    check: (f) => void answerable(rejected(f, 400, 'Malformed To')),
  },
  'baddn.dat': {
    behaviour: 'rejects the unquoted display names with commas with 400',
    check: (f) => void answerable(rejected(f, 400, 'Malformed From, To')),
  },
  'badvers.dat': {
    behaviour: 'answers SIP/7.0 with 505',
    check: (f) => void answerable(rejected(f, 505, 'Version Not Supported')),
  },
  'mismatch01.dat': {
    behaviour: 'rejects OPTIONS with CSeq method INVITE with 400',
    check: (f) => void answerable(rejected(f, 400, 'CSeq method does not match the Request-Line')),
  },
  'mismatch02.dat': {
    behaviour: 'answers the unknown method with a mismatched CSeq with 501',
    check: (f) => void answerable(rejected(f, 501, 'Not Implemented')),
  },
  'bigcode.dat': {
    behaviour: 'drops the response with status 4294967301 instead of wrapping it around',
    check: (f) => {
      const e = rejected(f, 'drop', 'Malformed Status-Code');
      expect(e.partial?.kind).toBe('response');
      expect(e.partial?.status).toBe(4294967301);
    },
  },
  'badbranch.dat': {
    behaviour: 'accepts the bare z9hG4bK branch',
    check: (f) => expect(accepted(f).via()[0]?.branch).toBe('z9hG4bK'),
  },
  'insuf.dat': {
    behaviour: 'rejects the missing Call-ID, From and To with 400 and still builds the answer',
    check: (f) => {
      const partial = answerable(rejected(f, 400, 'Missing From, To, Call-ID'));
      const answer = buildResponse(partial, 400, 'Missing From, To, Call-ID').toString('latin1');
      expect(answer).toContain('Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\n');
      expect(answer).toContain('CSeq: 193942 INVITE\r\n');
      expect(answer).not.toContain('From:');
    },
  },
  'unkscm.dat': {
    behaviour: 'answers the unknown Request-URI scheme with 416',
    check: (f) => void answerable(rejected(f, 416, 'Unsupported URI Scheme')),
  },
  'novelsc.dat': {
    behaviour: 'answers the soap.beep Request-URI with 416',
    check: (f) => void answerable(rejected(f, 416, 'Unsupported URI Scheme')),
  },
  'unksm2.dat': {
    behaviour: 'accepts isbn:, http: and name: URIs in To, From and Contact as opaque URIs',
    check: (f) => {
      const m = accepted(f);
      expect([m.to()?.uri.scheme, m.to()?.uri.raw]).toEqual(['isbn', 'isbn:2983792873']);
      expect([m.from()?.uri.scheme, m.from()?.params.get('tag')]).toEqual(['http', '3234233']);
      expect(contactOf(m)?.uri.scheme).toBe('name');
    },
  },
  'bext01.dat': {
    behaviour: 'accepts the request with Require and Proxy-Require for the server to answer 420',
    check: (f) => {
      const m = accepted(f);
      expect(m.headers.get('require')).toEqual(['nothingSupportsThis, nothingSupportsThisEither']);
      expect(m.via()[0]?.transport).toBe('TLS');
    },
  },
  'invut.dat': {
    behaviour: 'accepts the INVITE with an unknown Content-Type and its 40-byte body',
    check: (f) => {
      const m = accepted(f);
      expect(m.headers.get('content-type')).toEqual(['application/unknownformat']);
      expect(m.body.toString('latin1')).toBe('<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n');
    },
  },
  'regaut01.dat': {
    behaviour: 'keeps the unknown Authorization scheme as one raw value',
    check: (f) => {
      const m = accepted(f);
      expect(m.headers.get('authorization')).toEqual(['NoOneKnowsThisScheme opaque-data=here']);
      expect(m.via()[0]?.transport).toBe('TCP');
    },
  },
  'multi01.dat': {
    behaviour: 'rejects the duplicated single-value headers with 400 naming them',
    check: (f) => void answerable(rejected(f, 400, 'Repeated From, To, Call-ID, CSeq, Max-Forwards')),
  },
  'mcl01.dat': {
    behaviour: 'rejects the conflicting Content-Length values with 400',
    check: (f) => void answerable(rejected(f, 400, 'Repeated Content-Length')),
  },
  'bcast.dat': {
    behaviour: 'parses the 200 response with a broadcast Via as a response',
    check: (f) => {
      const m = accepted(f);
      expect([m.kind, m.status]).toEqual(['response', 200]);
      expect(m.via().map((v) => v.host)).toEqual(['192.0.2.198', '255.255.255.255']);
    },
  },
  'zeromf.dat': {
    behaviour: 'accepts Max-Forwards: 0',
    check: (f) => expect(accepted(f).headers.get('max-forwards')).toEqual(['0']),
  },
  'cparam01.dat': {
    behaviour: 'puts unknownparam after a bare Contact URI in the header parameters',
    check: (f) => {
      const contact = contactOf(accepted(f));
      expect([contact?.params.has('unknownparam'), contact?.uri.params.has('unknownparam')]).toEqual([true, false]);
    },
  },
  'cparam02.dat': {
    behaviour: 'keeps unknownparam inside <> as a URI parameter',
    check: (f) => {
      const contact = contactOf(accepted(f));
      expect([contact?.params.has('unknownparam'), contact?.uri.params.has('unknownparam')]).toEqual([false, true]);
    },
  },
  'regescrt.dat': {
    behaviour: 'keeps the escaped Route header of the compact-form Contact URI as written',
    check: (f) => expect(contactOf(accepted(f))?.uri.headers).toBe('Route=%3Csip:sip.example.com%3E'),
  },
  'sdp01.dat': {
    behaviour: 'accepts the INVITE whose Accept lacks application/sdp for the server to answer 406',
    check: (f) => expect(accepted(f).headers.get('accept')).toEqual(['text/nobodyKnowsThis']),
  },
  'inv2543.dat': {
    behaviour: 'takes the rest of the datagram as body without Content-Length over UDP, 400 over TCP',
    check: (f) => {
      const m = accepted(f);
      const bytes = load(f);
      expect(m.body.equals(bytes.subarray(bytes.indexOf('\r\n\r\n') + 4))).toBe(true);
      expect([m.via()[0]?.branch, m.from()?.params.has('tag'), m.contentLength()]).toEqual([undefined, false, undefined]);
      rejected(f, 400, 'Missing Content-Length', 'tcp');
    },
  },
};

describe('RFC 4475 torture messages', () => {
  it('has the 49 messages of section 3 in INDEX.tsv, each byte-exact and with a check here', () => {
    expect(index).toHaveLength(49);
    expect(index.map((row) => row.file).sort()).toEqual(Object.keys(checks).sort());
    const sums = readFileSync(new URL('SHA256SUMS', dir), 'utf8').trim().split('\n');
    for (const row of index) {
      const line = sums.find((l) => l.endsWith(`  ${row.file}`));
      expect(line?.slice(0, 64)).toBe(createHash('sha256').update(load(row.file)).digest('hex'));
    }
  });

  for (const row of index) {
    const entry = checks[row.file];
    it(`${row.file} (§${row.section}, ${row.expected}): ${entry?.behaviour ?? 'has a check'}`, () => {
      expect(entry).toBeDefined();
      entry?.check(row.file);
    });
  }

  it('parses every message over UDP and TCP without throwing, helpers and answers included', () => {
    for (const row of index) {
      for (const transport of ['udp', 'tcp'] as const) {
        const r = parseSip(load(row.file), { transport });
        const msg = r.ok ? r.msg : r.error.partial;
        expect(msg).toBeDefined();
        if (!msg) continue;
        msg.via();
        msg.from();
        msg.to();
        msg.pai();
        msg.identity();
        msg.callId();
        msg.cseq();
        msg.contentLength();
        msg.requestUri();
        expect(buildResponse(msg, 400, 'Bad Request', {}, { address: '127.0.0.1', port: 5060 }).length).toBeGreaterThan(0);
      }
    }
  });
});

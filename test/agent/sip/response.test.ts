import { describe, expect, it } from 'vitest';
import { parseSip, type SipMessage } from '../../../agent/sip/parser.js';
import { buildResponse, deriveToTag } from '../../../agent/sip/response.js';
import { BASE_HEADERS, REQUEST_LINE, baseWith, invite, sip } from './messages.js';

const SRC = { address: '198.51.100.7', port: 5060 };

function request(buf: Buffer): SipMessage {
  const r = parseSip(buf);
  if (!r.ok) throw new Error(`test request rejected: ${r.error.reason}`);
  return r.msg;
}

function lines(res: Buffer): string[] {
  return res.toString('latin1').split('\r\n');
}

const twoVias = sip([
  REQUEST_LINE,
  'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-top;rport, SIP/2.0/TCP 203.0.113.5;branch=z9hG4bK-2',
  'v: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bK-3;received=192.0.2.1',
  ...baseWith('via'),
  'Content-Length: 0',
]);

describe('buildResponse', () => {
  it('copies every Via in order, From, Call-ID and CSeq, adds the To tag and Content-Length: 0', () => {
    const req = request(twoVias);
    const res = lines(buildResponse(req, 603, 'Decline', { headers: [['Reason', 'Q.850;cause=21;text="Call Rejected"']] }, SRC));
    const tag = deriveToTag(req);
    expect(res).toEqual([
      'SIP/2.0 603 Decline',
      'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-top;rport=5060;received=198.51.100.7',
      'Via: SIP/2.0/TCP 203.0.113.5;branch=z9hG4bK-2',
      'Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bK-3;received=192.0.2.1',
      'From: "Alice" <sip:+13125550117@198.51.100.7;user=phone>;tag=a1',
      `To: <sip:+12025550143@192.0.2.10;user=phone>;tag=${tag}`,
      'Call-ID: c1@198.51.100.7',
      'CSeq: 1 INVITE',
      'Reason: Q.850;cause=21;text="Call Rejected"',
      'Content-Length: 0',
      '',
      '',
    ]);
    expect(tag).toMatch(/^[0-9a-f]{16}$/);
  });

  it('answers a retransmitted INVITE byte for byte the same', () => {
    const first = buildResponse(request(invite()), 302, 'Moved Temporarily', { headers: [['Contact', '<sip:+12025550143@10.0.0.1>']] }, SRC);
    const again = buildResponse(request(invite()), 302, 'Moved Temporarily', { headers: [['Contact', '<sip:+12025550143@10.0.0.1>']] }, SRC);
    expect(again.equals(first)).toBe(true);
  });

  it('derives a different tag when the Call-ID, the From tag or the top branch differs', () => {
    const base = deriveToTag(request(invite()));
    const variants = [
      sip([REQUEST_LINE, ...baseWith('call-id', 'Call-ID: other@198.51.100.7'), 'Content-Length: 0']),
      sip([REQUEST_LINE, ...baseWith('from', 'From: "Alice" <sip:+13125550117@198.51.100.7;user=phone>;tag=a2'), 'Content-Length: 0']),
      sip([REQUEST_LINE, ...baseWith('via', 'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-2;rport'), 'Content-Length: 0']),
    ];
    const tags = variants.map((buf) => deriveToTag(request(buf)));
    expect(new Set([base, ...tags]).size).toBe(4);
  });

  it('keeps a To that already has a tag, leaves a 100 Trying untagged and honours a given tag', () => {
    const tagged = request(sip([REQUEST_LINE, ...baseWith('to', 'To: <sip:bob@example.com>;tag=dialog-1'), 'Content-Length: 0']));
    expect(lines(buildResponse(tagged, 200, 'OK'))).toContain('To: <sip:bob@example.com>;tag=dialog-1');
    const req = request(invite());
    expect(lines(buildResponse(req, 100, 'Trying'))).toContain('To: <sip:+12025550143@192.0.2.10;user=phone>');
    expect(lines(buildResponse(req, 486, 'Busy Here', { toTag: 'mine' }))).toContain('To: <sip:+12025550143@192.0.2.10;user=phone>;tag=mine');
  });

  it('adds received when the top Via host is not the source, and leaves it alone when it is', () => {
    const noRport = request(sip([REQUEST_LINE, ...baseWith('via', 'Via: SIP/2.0/UDP sbc.example.com:5060;branch=z9hG4bK-n'), 'Content-Length: 0']));
    expect(lines(buildResponse(noRport, 200, 'OK', {}, SRC))[1]).toBe('Via: SIP/2.0/UDP sbc.example.com:5060;branch=z9hG4bK-n;received=198.51.100.7');
    const same = request(sip([REQUEST_LINE, ...baseWith('via', 'Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-s'), 'Content-Length: 0']));
    expect(lines(buildResponse(same, 200, 'OK', {}, SRC))[1]).toBe('Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-s');
  });

  it('fills rport with the source port and replaces a stale received (RFC 3581)', () => {
    const req = request(sip([REQUEST_LINE, ...baseWith('via', 'Via: SIP/2.0/UDP 10.0.0.5:5062;received=10.9.9.9;rport;branch=z9hG4bK-r'), 'Content-Length: 0']));
    expect(lines(buildResponse(req, 200, 'OK', {}, { address: '203.0.113.9', port: 40123 }))[1]).toBe(
      'Via: SIP/2.0/UDP 10.0.0.5:5062;received=203.0.113.9;rport=40123;branch=z9hG4bK-r',
    );
  });

  it('compares an IPv6 sent-by with the source address without brackets or case', () => {
    const req = request(sip([REQUEST_LINE, ...baseWith('via', 'Via: SIP/2.0/UDP [2001:DB8::7]:5060;branch=z9hG4bK-6'), 'Content-Length: 0']));
    expect(lines(buildResponse(req, 200, 'OK', {}, { address: '2001:db8::7', port: 5060 }))[1]).toBe('Via: SIP/2.0/UDP [2001:DB8::7]:5060;branch=z9hG4bK-6');
  });

  it('leaves the top Via unchanged without a source', () => {
    expect(lines(buildResponse(request(invite()), 200, 'OK'))[1]).toBe(`Via: ${BASE_HEADERS[0]?.slice(5)}`);
  });

  it('builds a 400 from a partial message, copying what it has', () => {
    const r = parseSip(sip([REQUEST_LINE, ...baseWith('from').filter((h) => !h.startsWith('Call-ID')), 'Content-Length: 0']));
    if (r.ok) throw new Error('expected a fault');
    const res = lines(buildResponse(r.error.partial as SipMessage, 400, r.error.reason, {}, SRC));
    expect(res[0]).toBe('SIP/2.0 400 Missing From, Call-ID');
    expect(res.some((l) => l.startsWith('From:') || l.startsWith('Call-ID:'))).toBe(false);
    expect(res).toContain('CSeq: 1 INVITE');
    expect(res[1]).toBe('Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1;rport=5060;received=198.51.100.7');
  });

  it('echoes an unparseable Via list as received', () => {
    const r = parseSip(sip([REQUEST_LINE, 'Via: SIP/2.0/UDP 192.0.2.15;;,;,,', ...baseWith('via'), 'Content-Length: 0']));
    if (r.ok) throw new Error('expected a fault');
    expect(lines(buildResponse(r.error.partial as SipMessage, 400, r.error.reason, {}, SRC))[1]).toBe('Via: SIP/2.0/UDP 192.0.2.15;;,;,,');
  });

  it('writes copied values byte for byte and the reason and extra values as UTF-8, on one line each', () => {
    const display = Buffer.from('"Jürgen" <sip:j@example.com>;tag=u', 'utf8').toString('latin1');
    const req = request(sip([REQUEST_LINE, ...baseWith('from', `From: ${display}`), 'Content-Length: 0']));
    const res = buildResponse(req, 603, 'Abgelehnt — nicht\r\nerlaubt', { headers: [['Reason', 'Q.850;cause=21;text="Zurückgewiesen"']] });
    const text = res.toString('utf8');
    expect(text).toContain('From: "Jürgen" <sip:j@example.com>;tag=u\r\n');
    expect(text.startsWith('SIP/2.0 603 Abgelehnt — nicht erlaubt\r\n')).toBe(true);
    expect(text).toContain('Reason: Q.850;cause=21;text="Zurückgewiesen"\r\n');
  });
});

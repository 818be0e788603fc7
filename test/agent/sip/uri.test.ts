import { describe, expect, it } from 'vitest';
import { parseUri } from '../../../agent/sip/uri.js';

const fields = (s: string) => {
  const u = parseUri(s);
  return u && { scheme: u.scheme, user: u.user, host: u.host, port: u.port, params: Object.fromEntries(u.params), headers: u.headers };
};

describe('parseUri: sip and sips', () => {
  it.each([
    ['sip:alice@example.com', { scheme: 'sip', user: 'alice', host: 'example.com', port: undefined, params: {}, headers: undefined }],
    ['SIPS:Alice@Example.COM:5061', { scheme: 'sips', user: 'Alice', host: 'Example.COM', port: 5061, params: {}, headers: undefined }],
    ['sip:example.com;lr', { scheme: 'sip', user: undefined, host: 'example.com', port: undefined, params: { lr: null }, headers: undefined }],
    ['sip:+13125550117@198.51.100.7;user=phone;Transport=TCP', { scheme: 'sip', user: '+13125550117', host: '198.51.100.7', port: undefined, params: { user: 'phone', transport: 'TCP' }, headers: undefined }],
    ['sip:bob:secret@[2001:db8::1]:5060', { scheme: 'sip', user: 'bob', host: '[2001:db8::1]', port: 5060, params: {}, headers: undefined }],
    ['sip:bob@example.com?Subject=x&Priority=urgent', { scheme: 'sip', user: 'bob', host: 'example.com', port: undefined, params: {}, headers: 'Subject=x&Priority=urgent' }],
    ['sip:a;b=c@example.com', { scheme: 'sip', user: 'a;b=c', host: 'example.com', port: undefined, params: {}, headers: undefined }],
    ['sip:internal_host.carrier:5080', { scheme: 'sip', user: undefined, host: 'internal_host.carrier', port: 5080, params: {}, headers: undefined }],
  ])('parses %s', (s, expected) => {
    expect(fields(s)).toEqual(expected);
    expect(parseUri(s)?.raw).toBe(s);
  });

  it('decodes %HH in the user part and parameters exactly once, keeping a % that is no escape', () => {
    expect(fields('sip:%61lice%2540@example.com;m%61ddr=10.0.0.%31;x=100%')).toMatchObject({
      user: 'alice%40',
      params: { maddr: '10.0.0.1', x: '100%' },
    });
    expect(parseUri('sip:%ZZ%4@example.com')?.user).toBe('%ZZ%4');
  });

  it('turns escaped bytes into latin1 chars, escaped UTF-8 included', () => {
    const user = parseUri('sip:J%C3%BCrgen%00@example.com')?.user ?? '';
    expect(Buffer.from(user, 'latin1').toString('utf8')).toBe('Jürgen\x00');
  });

  it.each(['sip:', 'sip:@example.com', 'sip:alice@', 'sip:alice@exa mple.com', 'sip:alice@example.com:99999', 'sip:alice@example.com:port', 'sip:alice@example.com/path', 'sip:al"ice@example.com', 'sip:<alice@example.com>', 'sip:alice@[2001:db8::1'])(
    'rejects the malformed %j',
    (s) => expect(parseUri(s)).toBeUndefined(),
  );
});

describe('parseUri: tel (RFC 3966)', () => {
  it.each([
    ['tel:+1-202-555-0143', '+1-202-555-0143', {}],
    ['tel:+1(202)555.0143;ext=42', '+1(202)555.0143', { ext: '42' }],
    ['TEL:+13125550117;npdi;rn=+13125550000;cic=+1-0288', '+13125550117', { npdi: null, rn: '+13125550000', cic: '+1-0288' }],
    ['tel:5550143;phone-context=+1202', '5550143', { 'phone-context': '+1202' }],
    ['tel:*67#;phone-context=example.com', '*67#', { 'phone-context': 'example.com' }],
    ['tel:+13125550117;isub=%41b', '+13125550117', { isub: 'Ab' }],
  ])('parses %s', (s, user, params) => {
    expect(fields(s)).toEqual({ scheme: 'tel', user, host: undefined, port: undefined, params, headers: undefined });
  });

  it.each(['tel:5550143', 'tel:+', 'tel:+1-202-CALL-NOW', 'tel:', 'tel:+1 202 555 0143'])('rejects %j', (s) => {
    expect(parseUri(s)).toBeUndefined();
  });
});

describe('parseUri: other schemes', () => {
  it.each([
    ['isbn:2983792873', 'isbn'],
    ['http://www.example.com/a?b=c', 'http'],
    ['URN:service:sos', 'urn'],
    ['soap.beep://192.0.2.103:3002', 'soap.beep'],
    ['nobodyKnowsThisScheme:totallyopaquecontent', 'nobodyknowsthisscheme'],
  ])('keeps %s opaque with scheme %s', (s, scheme) => {
    expect(fields(s)).toEqual({ scheme, user: undefined, host: undefined, port: undefined, params: {}, headers: undefined });
  });

  it.each(['', 'alice@example.com', ':nothing', '1sip:x', '<sip:alice@example.com>', 'http://a b', '*'])('rejects %j as no URI', (s) => {
    expect(parseUri(s)).toBeUndefined();
  });
});

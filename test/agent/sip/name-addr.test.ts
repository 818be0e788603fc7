import { describe, expect, it } from 'vitest';
import { parseNameAddr } from '../../../agent/sip/name-addr.js';

const fields = (s: string) => {
  const n = parseNameAddr(s);
  return n && { display: n.display, uri: n.uri.raw, uriParams: Object.fromEntries(n.uri.params), params: Object.fromEntries(n.params) };
};

describe('parseNameAddr', () => {
  it.each([
    ['"Alice" <sip:alice@example.com>;tag=1', { display: 'Alice', uri: 'sip:alice@example.com', uriParams: {}, params: { tag: '1' } }],
    ['"A \\"B\\" C\\\\" <sip:a@b>', { display: 'A "B" C\\', uri: 'sip:a@b', uriParams: {}, params: {} }],
    ['"Doe, John" <sip:jd@example.com>', { display: 'Doe, John', uri: 'sip:jd@example.com', uriParams: {}, params: {} }],
    ['"" <sip:anonymous@anonymous.invalid>', { display: '', uri: 'sip:anonymous@anonymous.invalid', uriParams: {}, params: {} }],
    ['Alice  Smith <sip:alice@example.com>', { display: 'Alice  Smith', uri: 'sip:alice@example.com', uriParams: {}, params: {} }],
    ['alice<sip:alice@example.com>', { display: 'alice', uri: 'sip:alice@example.com', uriParams: {}, params: {} }],
    ['<sip:+13125550117@gw.example.com;user=phone>;tag=x;Expires=60', { display: undefined, uri: 'sip:+13125550117@gw.example.com;user=phone', uriParams: { user: 'phone' }, params: { tag: 'x', expires: '60' } }],
    ['sip:+13125550117@gw.example.com;user=phone;tag=x', { display: undefined, uri: 'sip:+13125550117@gw.example.com', uriParams: {}, params: { user: 'phone', tag: 'x' } }],
    ['  sip:bob@example.com ;  tag = 99 ', { display: undefined, uri: 'sip:bob@example.com', uriParams: {}, params: { tag: '99' } }],
    ['<tel:+1-312-555-0117;ext=7>', { display: undefined, uri: 'tel:+1-312-555-0117;ext=7', uriParams: { ext: '7' }, params: {} }],
    ['tel:5550117;phone-context=+1312', undefined],
    ['<urn:service:sos>', { display: undefined, uri: 'urn:service:sos', uriParams: {}, params: {} }],
    ['"Bob" <sip:bob@example.com> ; q=0.7 ; lr', { display: 'Bob', uri: 'sip:bob@example.com', uriParams: {}, params: { q: '0.7', lr: null } }],
    ['<sip:bob@example.com>;x="a;b"', { display: undefined, uri: 'sip:bob@example.com', uriParams: {}, params: { x: '"a;b"' } }],
  ])('parses %j', (s, expected) => {
    expect(fields(s)).toEqual(expected);
  });

  it('keeps the value as written, trimmed, in raw', () => {
    expect(parseNameAddr('  "Alice" <sip:alice@example.com>;tag=1 ')?.raw).toBe('"Alice" <sip:alice@example.com>;tag=1');
  });

  it.each([
    ['an unterminated quote', '"Mr. J. User <sip:j.user@example.com>'],
    ['an unquoted comma', 'Bell, Alexander <sip:a.g.bell@example.com>'],
    ['spaces inside <>', '"Watson" < sip:t.watson@example.org >'],
    ['no closing >', '<sip:alice@example.com'],
    ['text after >', '<sip:alice@example.com> junk'],
    ['a quoted name without <>', '"Alice" sip:alice@example.com'],
    ['a malformed URI', '<sip:@example.com>'],
    ['no URI', 'Alice'],
    ['nothing', '  '],
  ])('rejects %s', (_, s) => {
    expect(parseNameAddr(s)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { decodePassport, PassportError, parseIdentityHeader } from '../../../agent/sip/passport.js';
import { b64, passport } from './shaken.js';

const SIG = Buffer.alloc(64, 7).toString('base64url');

describe('parseIdentityHeader', () => {
  it.each([
    ['the full form with info, alg and ppt', 'aa.bb.cc;info=<https://cert.example.net/a.pem>;alg=ES256;ppt=shaken', { token: 'aa.bb.cc', info: 'https://cert.example.net/a.pem', alg: 'ES256', ppt: 'shaken' }],
    ['white space around parameters and a quoted ppt', ' aa.bb.cc ; info = <https://c.example/x.pem> ; alg=ES256 ; ppt="shaken" ', { token: 'aa.bb.cc', info: 'https://c.example/x.pem', alg: 'ES256', ppt: 'shaken' }],
    ['an info URL holding ; and = inside its brackets', 'aa..cc;info=<https://c.example/x.pem;v=1>;ppt=div', { token: 'aa..cc', info: 'https://c.example/x.pem;v=1', ppt: 'div' }],
    ['upper-case parameter names and unknown parameters', 'aa.bb.cc;INFO=<https://c.example/x>;foo;bar=1;Alg=ES256', { token: 'aa.bb.cc', info: 'https://c.example/x', alg: 'ES256' }],
    ['a bare token', 'aa.bb.cc', { token: 'aa.bb.cc' }],
  ])('reads %s', (_name, value, expected) => {
    expect(parseIdentityHeader(value)).toEqual(expected);
  });

  it.each([
    ['a token with characters outside base64url', 'aa.b+b.cc;info=<https://c.example/x>', 'the token is not base64url JWS'],
    ['an unterminated info URL', 'aa.bb.cc;info=<https://c.example/x;alg=ES256', 'unterminated info parameter'],
    ['an info URL without brackets', 'aa.bb.cc;info=https://c.example/x', 'info is not an <URL>'],
    ['an empty value', '', 'the token is not base64url JWS'],
  ])('rejects %s', (_name, value, reason) => {
    const result = parseIdentityHeader(value);
    expect(result).toBeInstanceOf(PassportError);
    expect((result as PassportError).reason).toBe(reason);
    expect((result as PassportError).message).toBe(`bad Identity: ${reason}`);
  });
});

describe('decodePassport', () => {
  it('decodes the SHAKEN header and claims and keeps the signing input as sent', () => {
    const token = passport({ attest: 'B', dest: { tn: ['12025550143', '12025550144'] }, iat: 1_767_225_600, orig: { tn: '13125550117' }, origid: 'abc' });
    const p = decodePassport(token);
    if (p instanceof PassportError) throw p;
    expect(p.header).toEqual({ alg: 'ES256', typ: 'passport', ppt: 'shaken', x5u: 'https://cert.example.net/sp.pem' });
    expect(p.claims).toEqual({ attest: 'B', origTn: '13125550117', destTns: ['12025550143', '12025550144'], iat: 1_767_225_600, origid: 'abc' });
    expect(p.signingInput).toBe(token.slice(0, token.lastIndexOf('.')));
    expect(p.signature).toHaveLength(64);
  });

  it('reads the compact form (claims omitted, RFC 8224 §4.1) as having no claims', () => {
    const p = decodePassport(`${b64({ alg: 'ES256', ppt: 'shaken' })}..${SIG}`);
    if (p instanceof PassportError) throw p;
    expect(p.claims).toBeUndefined();
    expect(p.signingInput.endsWith('.')).toBe(true);
  });

  it('tolerates a + on TNs and a dest.tn that is a string, and drops claims of the wrong type', () => {
    const p = decodePassport(`${b64({ alg: 'ES256' })}.${b64({ attest: 3, dest: { tn: '+12025550143' }, iat: '1767225600', orig: { tn: '+13125550117' }, origid: 7 })}.${SIG}`);
    if (p instanceof PassportError) throw p;
    expect(p.claims).toEqual({ attest: undefined, origTn: '13125550117', destTns: ['12025550143'], iat: undefined, origid: undefined });
  });

  it.each([
    ['two parts', `${b64({})}.${b64({})}`, 'the token has 2 parts, expected 3'],
    ['a header that is not base64url', `a*b.${b64({})}.${SIG}`, 'the header is not base64url'],
    ['a header that is not JSON', `${Buffer.from('{alg').toString('base64url')}.${b64({})}.${SIG}`, 'the header is not JSON'],
    ['claims that are a JSON array', `${b64({})}.${b64([1])}.${SIG}`, 'the claims is not a JSON object'],
    ['a DER signature instead of raw r‖s', `${b64({})}.${b64({})}.${Buffer.alloc(71, 1).toString('base64url')}`, 'the signature has 71 bytes, expected 64 (ES256)'],
    ['a signature that is not base64url', `${b64({})}.${b64({})}.ab=c`, 'the signature is not base64url'],
  ])('rejects %s', (_name, token, reason) => {
    const result = decodePassport(token);
    expect(result).toBeInstanceOf(PassportError);
    expect((result as PassportError).reason).toBe(reason);
  });
});

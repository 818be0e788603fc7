import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertDirectory } from '../../../agent/sip/certs.js';
import { type CallFacts, identityOf } from '../../../agent/sip/identity.js';
import { parseSip } from '../../../agent/sip/parser.js';
import { IdentityInfo } from '../../../proto/messages.js';
import { invite } from './messages.js';
import { b64, CALLED, CALLING, certDir, claimsFor, identityHeader, passport, x5uOf } from './shaken.js';

let certs: CertDirectory;
let remove: () => void;
beforeAll(() => {
  const made = certDir(['sp', 'delegate', 'nameless', 'rogue']);
  remove = made.remove;
  certs = CertDirectory.load(made.dir);
});
afterAll(() => remove());

// The fixture certificates are valid from the day make.sh ran: sign "now", as a live call would be.
const nowSec = Math.floor(Date.now() / 1000);
const call: CallFacts = { calling: CALLING, called: CALLED, at: nowSec * 1000 + 1500 };
const ORIGID = claimsFor(nowSec).origid;

const signed = (claims = claimsFor(nowSec), opts: Parameters<typeof passport>[1] = {}) => {
  const signer = opts.signer ?? 'sp';
  return identityHeader(passport(claims, opts), x5uOf(signer));
};
const identity = (lines: string[], facts: CallFacts = call) => identityOf(lines, facts, { certs });

describe('identityOf', () => {
  it('verifies an A attestation and names the signer by the SPC of its certificate', () => {
    const info = identity([signed()]);
    expect(info).toEqual({ attest: 'A', origid: ORIGID, signer: '709J', verified: true });
    expect(IdentityInfo.parse(info)).toEqual(info);
  });

  it('names the signer by the certificate subject when TNAuthList has no SPC', () => {
    expect(identity([signed(claimsFor(nowSec, 'B'), { signer: 'delegate' })])).toMatchObject({ attest: 'B', signer: 'Delegate Signer', verified: true });
  });

  it('names the signer by the x5u host when the certificate has neither SPC nor common name', () => {
    expect(identity([signed(claimsFor(nowSec, 'C'), { signer: 'nameless' })])).toMatchObject({ attest: 'C', signer: 'cert.example.net', verified: true });
  });

  it('accepts calling and called numbers without the +', () => {
    expect(identity([signed()], { ...call, calling: CALLING.slice(1), called: CALLED.slice(1) })?.verified).toBe(true);
  });

  it('reads a PASSporT carried in the compact y header', () => {
    const parsed = parseSip(invite([`y: ${signed()}`]));
    if (!parsed.ok) throw new Error(parsed.error.reason);
    expect(identity(parsed.msg.identity())?.verified).toBe(true);
  });

  describe('refuses to verify, keeping attest, origid and signer, when', () => {
    const header = (over: Record<string, unknown>) => ({ alg: 'ES256', typ: 'passport', ppt: 'shaken', x5u: x5uOf('sp'), ...over });
    const tampered = () => {
      const [h, , s] = passport(claimsFor(nowSec)).split('.');
      return identityHeader(`${h}.${b64({ ...claimsFor(nowSec), attest: 'A', orig: { tn: '13125550199' } })}.${s}`, x5uOf('sp'));
    };
    it.each([
      ['the claims were changed after signing', () => [tampered()], call, 'signature does not verify'],
      ['another key signed it', () => [identityHeader(passport(claimsFor(nowSec), { signer: 'rogue', header: header({}) }), x5uOf('sp'))], call, 'signature does not verify'],
      ['its certificate does not chain to the trusted STI-CA', () => [signed(claimsFor(nowSec), { signer: 'rogue' })], call, 'certificate does not chain to a trusted STI-CA'],
      ['the calling number differs', () => [signed()], { ...call, calling: '+13125550100' }, 'orig.tn 13125550117 is not the calling number'],
      ['the called number is not in dest.tn', () => [signed()], { ...call, called: '+12025550100' }, 'dest.tn does not hold the called number'],
      ['iat is far from the call time', () => [signed()], { ...call, at: call.at + 3_600_000 }, 'iat is 3602 s from the call time (max 60 s)'],
      ['iat lies before the certificate was issued', () => [signed(claimsFor(1_600_000_000))], { ...call, at: 1_600_000_000_000 }, 'certificate not valid at iat'],
      ['x5u differs from info', () => [identityHeader(passport(claimsFor(nowSec)), 'https://cert.example.net/other.pem')], call, 'x5u differs from info'],
      ['info is missing', () => [`${passport(claimsFor(nowSec))};alg=ES256;ppt=shaken`], call, 'no info parameter'],
      ['x5u is plain http', () => [identityHeader(passport(claimsFor(nowSec), { header: header({ x5u: 'http://cert.example.net/sp.pem' }) }), 'http://cert.example.net/sp.pem')], call, 'x5u is not an https URL'],
      ['the header says another alg', () => [identityHeader(passport(claimsFor(nowSec), { header: header({ alg: 'RS256' }) }), x5uOf('sp'))], call, 'alg is RS256, expected ES256'],
      ['the alg parameter says another alg', () => [`${passport(claimsFor(nowSec))};info=<${x5uOf('sp')}>;alg=RS256`], call, 'the alg parameter is RS256, expected ES256'],
      ['iat is missing', () => [signed({ ...claimsFor(nowSec), iat: undefined })], call, 'no iat'],
    ])('%s', (_name, lines, facts, reason) => {
      expect(identity(lines(), facts)).toEqual({ attest: 'A', origid: ORIGID, signer: expect.any(String), verified: false, reason });
    });

    it('its certificate is not in the local directory, naming the x5u host', () => {
      const token = passport(claimsFor(nowSec), { header: header({ x5u: 'https://certs.carrier.example/unknown.pem' }) });
      expect(identity([identityHeader(token, 'https://certs.carrier.example/unknown.pem')])).toEqual({
        attest: 'A', origid: ORIGID, signer: 'certs.carrier.example', verified: false, reason: 'certificate not in the local directory',
      });
    });

    it('no certificate directory is configured', () => {
      expect(identityOf([signed()], call)).toMatchObject({ verified: false, reason: 'no certificate directory configured' });
    });
  });

  it('picks the verified PASSporT among several and ignores a div PASSporT', () => {
    const div = identityHeader(passport({ div: { tn: '12025550100' }, iat: nowSec }, { header: { alg: 'ES256', ppt: 'div', x5u: x5uOf('sp') } }), x5uOf('sp'), 'div');
    const bad = signed(claimsFor(nowSec, 'C'), { signer: 'rogue' });
    expect(identity([div, bad, signed(claimsFor(nowSec, 'B'))])).toMatchObject({ attest: 'B', verified: true });
    expect(identity([div, bad])).toMatchObject({ attest: 'C', verified: false });
  });

  it.each([
    ['no Identity header', []],
    ['only a div PASSporT', [identityHeader(passport({ iat: nowSec }, { header: { alg: 'ES256', ppt: 'div', x5u: x5uOf('sp') } }), x5uOf('sp'), 'div')]],
    ['a SHAKEN PASSporT without attest', [signed({ ...claimsFor(nowSec), attest: 'D' })]],
    ['the compact form, whose claims hold no attest', [identityHeader(passport(claimsFor(nowSec)).replace(/\.[^.]+\./, '..'), x5uOf('sp'))]],
    ['garbage', ['not a token at all;info=<x>', '%%%', 'a.b.c;info=<https://x>']],
  ])('records no identity for %s', (_name, lines) => {
    expect(identity(lines)).toBeUndefined();
  });
});

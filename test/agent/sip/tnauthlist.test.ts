import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spcsOf } from '../../../agent/sip/tnauthlist.js';
import { FIXTURES } from './shaken.js';

const der = (name: string) => new X509Certificate(readFileSync(join(FIXTURES, `${name}.pem`))).raw;

/** DER TLV with a short-form length (every test structure here is below 128 bytes). */
const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
};
const OID_TN_AUTH_LIST = tlv(0x06, Buffer.from([0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1a]));
/** Just the path the walker follows: Certificate { tbs { [3] { Extensions { ext… } } } }. */
const certWith = (...extensions: Buffer[]) => tlv(0x30, tlv(0x30, tlv(0x02, Buffer.from([1])), tlv(0xa3, tlv(0x30, ...extensions))));
const ia5 = (s: string) => tlv(0x16, Buffer.from(s, 'latin1'));

describe('spcsOf', () => {
  it('reads the SPC of an openssl-made certificate with an EXPLICIT-tagged TNAuthList', () => {
    expect(spcsOf(der('sp'))).toEqual(['709J']);
  });

  it('finds no SPC in a delegate certificate that lists a telephone number', () => {
    expect(spcsOf(der('delegate'))).toEqual([]);
  });

  it('finds no SPC in a certificate without TNAuthList', () => {
    expect(spcsOf(der('nameless'))).toEqual([]);
  });

  it('reads IMPLICIT-tagged SPCs and a critical flag, skipping TN entries', () => {
    const list = tlv(0x30, tlv(0x80, Buffer.from('567J')), tlv(0xa2, ia5('12025550143')), tlv(0xa0, ia5('1234')));
    const cert = certWith(tlv(0x30, OID_TN_AUTH_LIST, tlv(0x01, Buffer.from([0xff])), tlv(0x04, list)));
    expect(spcsOf(cert)).toEqual(['567J', '1234']);
  });

  it('skips other extensions before TNAuthList', () => {
    const other = tlv(0x30, tlv(0x06, Buffer.from([0x55, 0x1d, 0x13])), tlv(0x04, tlv(0x30)));
    const cert = certWith(other, tlv(0x30, OID_TN_AUTH_LIST, tlv(0x04, tlv(0x30, tlv(0xa0, ia5('709J'))))));
    expect(spcsOf(cert)).toEqual(['709J']);
  });

  it.each([
    ['truncated certificate bytes', () => der('sp').subarray(0, 300)],
    ['a length running past the end', () => Buffer.from([0x30, 0x82, 0xff, 0xff, 0x30, 0x00])],
    ['an indefinite length', () => Buffer.from([0x30, 0x80, 0x00, 0x00])],
    ['an empty buffer', () => Buffer.alloc(0)],
    ['an extension value that is not an OCTET STRING', () => certWith(tlv(0x30, OID_TN_AUTH_LIST, tlv(0x30, tlv(0xa0, ia5('709J')))))],
    ['an SPC with control characters', () => certWith(tlv(0x30, OID_TN_AUTH_LIST, tlv(0x04, tlv(0x30, tlv(0xa0, ia5('7\n9J'))))))],
  ])('finds nothing, without throwing, in %s', (_name, make) => {
    expect(spcsOf(make())).toEqual([]);
  });
});

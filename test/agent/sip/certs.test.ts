import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CertDirectory, CertDirectoryError, certFileName } from '../../../agent/sip/certs.js';
import { certDir, FIXTURES, x5uOf } from './shaken.js';

let remove: (() => void) | undefined;
afterEach(() => remove?.());

function open(...args: Parameters<typeof certDir>): { dir: string; certs: CertDirectory } {
  const made = certDir(...args);
  remove = made.remove;
  return { dir: made.dir, certs: CertDirectory.load(made.dir) };
}

describe('CertDirectory', () => {
  it('names a certificate file by the sha256 hex of its x5u URL', () => {
    const url = 'https://cert.example.net/sp.pem';
    expect(certFileName(url)).toBe(`${createHash('sha256').update(url).digest('hex')}.pem`);
  });

  it('finds a certificate by its x5u and reads its SPC, common name and validity', () => {
    const { certs } = open(['sp']);
    const cert = certs.get(x5uOf('sp'));
    expect(cert?.spc).toBe('709J');
    expect(cert?.commonName).toBe('SHAKEN 709J');
    expect(cert?.notAfter).toBeGreaterThan(cert?.notBefore ?? Infinity);
    expect(cert?.chain).toBe('trusted');
    expect(certs.get(x5uOf('delegate'))).toBeUndefined();
  });

  it('marks a certificate that does not chain to a trust anchor untrusted', () => {
    expect(open(['rogue']).certs.get(x5uOf('rogue'))?.chain).toBe('untrusted');
  });

  it('trusts a chain through an intermediate given in the same file', () => {
    const { dir } = open([]);
    // rogue.pem followed by its issuer: trusted once that issuer is an anchor.
    const pem = ['rogue', 'rogue-ca'].map((n) => readFileSync(join(FIXTURES, `${n}.pem`), 'latin1')).join('');
    writeFileSync(join(dir, certFileName(x5uOf('rogue'))), pem);
    copyFileSync(join(FIXTURES, 'rogue-ca.pem'), join(dir, 'trust', 'rogue-ca.pem'));
    expect(CertDirectory.load(dir).get(x5uOf('rogue'))?.chain).toBe('trusted');
  });

  it('leaves the chain unchecked when the directory has no trust anchors', () => {
    expect(open(['rogue'], false).certs.get(x5uOf('rogue'))?.chain).toBe('unchecked');
  });

  it('skips badly named and unreadable files and says why', () => {
    const { dir } = open(['sp']);
    writeFileSync(join(dir, 'sp.pem'), 'x');
    writeFileSync(join(dir, certFileName('https://a.example/empty.pem')), 'no certificate here');
    writeFileSync(join(dir, certFileName('https://a.example/bad.pem')), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const certs = CertDirectory.load(dir);
    expect(certs.size).toBe(1);
    const reasons = Object.fromEntries(certs.skipped.map((s) => [s.file, s.reason]));
    expect(reasons['sp.pem']).toBe('not named <sha256 hex of the x5u URL>.pem');
    expect(reasons[certFileName('https://a.example/empty.pem')]).toBe('no PEM certificate in the file');
    expect(reasons[certFileName('https://a.example/bad.pem')]).toMatch(/^unreadable certificate: /);
  });

  it('picks up a new certificate on reload', () => {
    const { dir, certs } = open([]);
    expect(certs.get(x5uOf('sp'))).toBeUndefined();
    copyFileSync(join(FIXTURES, 'sp.pem'), join(dir, certFileName(x5uOf('sp'))));
    certs.reload();
    expect(certs.get(x5uOf('sp'))?.spc).toBe('709J');
  });

  it('fails with the path when the directory does not exist', () => {
    const { dir } = open([]);
    const missing = join(dir, 'nope');
    expect(() => CertDirectory.load(missing)).toThrow(new CertDirectoryError(missing, 'does not exist'));
    expect(() => CertDirectory.load(missing)).toThrow(`certificate directory ${missing}: does not exist`);
  });

  it('keeps its certificates when a reload cannot read the directory', () => {
    const { dir, certs } = open(['sp']);
    remove?.();
    expect(() => certs.reload()).toThrow(`certificate directory ${dir}: does not exist`);
    expect(certs.get(x5uOf('sp'))?.spc).toBe('709J');
  });
});

/** The agent's SHAKEN settings → one IdentityOptions: the certificate directory loaded, re-read, or refused. */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { certFileName } from '../../../agent/sip/certs.js';
import { startShaken, type Shaken } from '../../../agent/sip/shaken.js';
import { ConfigError } from '../../../config/errors.js';
import { FIXTURES, x5uOf } from './shaken.js';

const silent = pino({ level: 'silent' });
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function started(shaken: Shaken): Shaken {
  cleanups.push(() => shaken.stop());
  return shaken;
}

function emptyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-shaken-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('startShaken', () => {
  it('without a certificate directory: the skew setting only, so identities are recorded unverified', () => {
    expect(started(startShaken({ maxSkewSec: 45, reloadSec: 300 }, silent)).identity).toEqual({ maxSkewSec: 45 });
  });

  it('loads the directory: a certificate placed under its x5u hash is found', () => {
    const dir = emptyDir();
    copyFileSync(join(FIXTURES, 'sp.pem'), join(dir, certFileName(x5uOf('sp'))));
    const { identity } = started(startShaken({ certDir: dir, maxSkewSec: 60, reloadSec: 0 }, silent));
    expect([identity.maxSkewSec, identity.certs?.get(x5uOf('sp'))?.spc, identity.certs?.get(x5uOf('rogue'))]).toEqual([60, '709J', undefined]);
  });

  it('re-reads the directory every reloadSec: a certificate dropped in later is used without a restart', async () => {
    const dir = emptyDir();
    const { identity } = started(startShaken({ certDir: dir, maxSkewSec: 60, reloadSec: 1 }, silent));
    expect(identity.certs?.get(x5uOf('sp'))).toBeUndefined();
    copyFileSync(join(FIXTURES, 'sp.pem'), join(dir, certFileName(x5uOf('sp'))));
    await expect.poll(() => identity.certs?.get(x5uOf('sp'))?.spc, { timeout: 5_000, interval: 100 }).toBe('709J');
  });

  it('keeps the certificates it has when the directory disappears later', async () => {
    const dir = emptyDir();
    copyFileSync(join(FIXTURES, 'sp.pem'), join(dir, certFileName(x5uOf('sp'))));
    const warnings: string[] = [];
    const log = { info: () => {}, warn: (_o: unknown, msg: string) => void warnings.push(msg) };
    const { identity } = started(startShaken({ certDir: dir, maxSkewSec: 60, reloadSec: 1 }, log as never));
    rmSync(dir, { recursive: true, force: true });
    await expect.poll(() => warnings, { timeout: 5_000, interval: 100 }).toContain('STI certificate directory unreadable: keeping the certificates loaded before');
    expect(identity.certs?.get(x5uOf('sp'))?.spc).toBe('709J');
  });

  it('a directory that does not exist is a ConfigError naming sip.shaken.certDir', () => {
    const missing = join(emptyDir(), 'nope');
    let error: unknown;
    try {
      startShaken({ certDir: missing, maxSkewSec: 60, reloadSec: 300 }, silent);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`config error at sip.shaken.certDir: ${missing}: does not exist`);
  });
});

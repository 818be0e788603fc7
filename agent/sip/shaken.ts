/**
 * The agent's SHAKEN verification as configured (`sip.shaken`): the local certificate directory loaded at
 * start and re-read every `reloadSec`, so that certificates an out-of-band fetcher drops in are used without a
 * restart. One IdentityOptions serves every call source (policy server, HEP, drachtio).
 *
 * A directory that cannot be read at start is a configuration error (the agent does not start); one that
 * fails later keeps the certificates already loaded, with a warning.
 */
import type { Logger } from 'pino';
import type { AgentConfig } from '../../config/agent.js';
import { ConfigError } from '../../config/errors.js';
import { CertDirectory, CertDirectoryError } from './certs.js';
import type { IdentityOptions } from './identity.js';

export interface Shaken {
  identity: IdentityOptions;
  stop(): void;
}

export function startShaken(shaken: AgentConfig['sip']['shaken'], log: Pick<Logger, 'info' | 'warn'>): Shaken {
  if (shaken.certDir === undefined) {
    log.info('no sip.shaken.certDir: SHAKEN identities are recorded unverified');
    return { identity: { maxSkewSec: shaken.maxSkewSec }, stop: () => {} };
  }
  let certs: CertDirectory;
  try {
    certs = CertDirectory.load(shaken.certDir);
  } catch (err) {
    if (err instanceof CertDirectoryError) throw ConfigError.of('sip.shaken.certDir', `${err.path}: ${err.reason}`);
    throw err;
  }
  // Logged at start, then only when a reload finds another number of certificates or other skipped files.
  let logged = '';
  const loaded = () => {
    const state = `${certs.size}|${certs.skipped.map((s) => `${s.file}:${s.reason}`).join('|')}`;
    if (state === logged) return;
    logged = state;
    for (const s of certs.skipped) log.warn({ dir: certs.dir, file: s.file, reason: s.reason }, 'STI certificate file skipped');
    log.info({ dir: certs.dir, certificates: certs.size }, 'STI certificate directory loaded');
  };
  loaded();
  const timer =
    shaken.reloadSec > 0
      ? setInterval(() => {
          try {
            certs.reload();
            loaded();
          } catch (err) {
            log.warn({ err, dir: certs.dir }, 'STI certificate directory unreadable: keeping the certificates loaded before');
          }
        }, shaken.reloadSec * 1000).unref()
      : undefined;
  return { identity: { certs, maxSkewSec: shaken.maxSkewSec }, stop: () => clearInterval(timer) };
}

/**
 * SHAKEN test kit: the test PKI of test/fixtures/shaken (made by its make.sh), PASSporTs signed with its keys,
 * and a temporary certificate directory laid out as agent/sip/certs.ts expects.
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certFileName } from '../../../agent/sip/certs.js';

export const FIXTURES = new URL('../../fixtures/shaken/', import.meta.url).pathname;

export type FixtureName = 'sp' | 'delegate' | 'nameless' | 'rogue' | 'ca' | 'rogue-ca';

export const x5uOf = (name: FixtureName) => `https://cert.example.net/${name}.pem`;

export function keyOf(name: FixtureName): KeyObject {
  return createPrivateKey(readFileSync(join(FIXTURES, `${name}.key`)));
}

export interface ShakenClaims {
  attest?: unknown;
  orig?: unknown;
  dest?: unknown;
  iat?: unknown;
  origid?: unknown;
  [claim: string]: unknown;
}

export const b64 = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');

/** A PASSporT signed ES256 (raw r‖s) with the named fixture's key; the header defaults to SHAKEN with that fixture's x5u. */
export function passport(claims: ShakenClaims, opts: { signer?: FixtureName; header?: Record<string, unknown> } = {}): string {
  const signer = opts.signer ?? 'sp';
  const h = b64(opts.header ?? { alg: 'ES256', typ: 'passport', ppt: 'shaken', x5u: x5uOf(signer) });
  const c = b64(claims);
  const signature = sign('sha256', Buffer.from(`${h}.${c}`), { key: keyOf(signer), dsaEncoding: 'ieee-p1363' });
  return `${h}.${c}.${signature.toString('base64url')}`;
}

/** The Identity header value for a token: `token;info=<x5u>;alg=ES256;ppt=shaken`. */
export function identityHeader(token: string, info: string, ppt = 'shaken'): string {
  return `${token};info=<${info}>;alg=ES256;ppt=${ppt}`;
}

export const CALLING = '+13125550117';
export const CALLED = '+12025550143';

/** SHAKEN claims for CALLING → CALLED signed at `atSec`. */
export function claimsFor(atSec: number, attest = 'A'): ShakenClaims {
  return { attest, dest: { tn: [CALLED.slice(1)] }, iat: atSec, orig: { tn: CALLING.slice(1) }, origid: '6f1d0b0e-3c1a-4e55-9d41-2b7f0c9a8e21' };
}

/**
 * A temporary certificate directory holding the named leaves under their x5u hashes and, unless `trust` is
 * false, the test STI-CA as trust anchor. Remove it with the returned function.
 */
export function certDir(leaves: readonly FixtureName[], trust = true): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-certs-'));
  for (const leaf of leaves) copyFileSync(join(FIXTURES, `${leaf}.pem`), join(dir, certFileName(x5uOf(leaf))));
  if (trust) {
    mkdirSync(join(dir, 'trust'));
    copyFileSync(join(FIXTURES, 'ca.pem'), join(dir, 'trust', 'ca.pem'));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

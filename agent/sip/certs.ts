/**
 * The local STI certificate directory: the certificates that PASSporTs' x5u URLs point to, placed there by the
 * operator or an out-of-band fetcher — the agent never fetches a certificate (no network on the call path,
 * no requests driven by a message). Loaded once into memory; `reload()` picks up changes.
 *
 * Layout (documented contract):
 *   <dir>/<sha256 hex of the x5u URL>.pem  the PEM served at that URL: the leaf first, then any intermediates
 *                                         (e.g. curl -o "$dir/$(printf %s "$url" | sha256sum | cut -c1-64).pem" "$url")
 *   <dir>/trust/*.pem                     trust anchors (the STI-PA's list of STI-CA roots). When present, a
 *                                         certificate must chain to one; when absent, placing a certificate in
 *                                         the directory is the operator's statement of trust.
 */
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spcsOf } from './tnauthlist.js';

export interface StiCertificate {
  leaf: X509Certificate;
  key: KeyObject;
  /** Validity period, epoch milliseconds. */
  notBefore: number;
  notAfter: number;
  /** First SPC of the TNAuthList extension (RFC 8226), the OCN for carriers. */
  spc?: string;
  /** The subject's common name. */
  commonName?: string;
  /** 'unchecked' when the directory holds no trust anchors. */
  chain: 'trusted' | 'untrusted' | 'unchecked';
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export class CertDirectoryError extends Error {
  override readonly name = 'CertDirectoryError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`certificate directory ${path}: ${reason}`);
  }
}

/** The file a certificate for `x5u` is looked up under. */
export function certFileName(x5u: string): string {
  return `${createHash('sha256').update(x5u, 'utf8').digest('hex')}.pem`;
}

const CERT_FILE = /^[0-9a-f]{64}\.pem$/;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export class CertDirectory {
  private byName = new Map<string, StiCertificate>();
  /** Files that were not loaded, with why: the caller logs them. */
  skipped: SkippedFile[] = [];

  private constructor(readonly dir: string) {}

  /** Reads the directory; throws CertDirectoryError only when the directory itself cannot be read. */
  static load(dir: string): CertDirectory {
    const store = new CertDirectory(dir);
    store.reload();
    return store;
  }

  get size(): number {
    return this.byName.size;
  }

  get(x5u: string): StiCertificate | undefined {
    return this.byName.get(certFileName(x5u));
  }

  /** Re-reads every file. Throws CertDirectoryError when the directory cannot be read; the old contents stay in use. */
  reload(): void {
    const skipped: SkippedFile[] = [];
    const anchors = this.loadAnchors(skipped);
    const byName = new Map<string, StiCertificate>();
    for (const file of listDir(this.dir)) {
      if (file === 'trust') continue;
      if (!CERT_FILE.test(file)) {
        skipped.push({ file, reason: 'not named <sha256 hex of the x5u URL>.pem' });
        continue;
      }
      const chain = readPem(join(this.dir, file));
      if (typeof chain === 'string') skipped.push({ file, reason: chain });
      else byName.set(file, stiCertificate(chain, anchors));
    }
    this.byName = byName;
    this.skipped = skipped;
  }

  private loadAnchors(skipped: SkippedFile[]): X509Certificate[] | undefined {
    const trustDir = join(this.dir, 'trust');
    if (!existsSync(trustDir)) return undefined;
    const anchors: X509Certificate[] = [];
    for (const file of listDir(trustDir)) {
      if (!file.endsWith('.pem')) continue;
      const certs = readPem(join(trustDir, file));
      if (typeof certs === 'string') skipped.push({ file: join('trust', file), reason: certs });
      else anchors.push(...certs);
    }
    return anchors;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    throw new CertDirectoryError(dir, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message);
  }
}

/** The certificates of a PEM file in order, or why there are none. */
function readPem(path: string): X509Certificate[] | string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    return (err as Error).message;
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return 'no PEM certificate in the file';
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch (err) {
    return `unreadable certificate: ${(err as Error).message}`;
  }
}

function stiCertificate(chain: X509Certificate[], anchors: X509Certificate[] | undefined): StiCertificate {
  const leaf = chain[0] as X509Certificate;
  const spc = spcsOf(leaf.raw)[0];
  const commonName = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1];
  return {
    leaf,
    key: leaf.publicKey,
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
    ...(spc !== undefined && { spc }),
    ...(commonName !== undefined && { commonName }),
    chain: anchors === undefined ? 'unchecked' : chainsTo(chain, anchors) ? 'trusted' : 'untrusted',
  };
}

/** Each certificate is signed by the next; the last is an anchor or signed by one. */
function chainsTo(chain: X509Certificate[], anchors: X509Certificate[]): boolean {
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issuedBy(chain[i] as X509Certificate, chain[i + 1] as X509Certificate)) return false;
  }
  const top = chain[chain.length - 1] as X509Certificate;
  return anchors.some((a) => a.fingerprint256 === top.fingerprint256 || issuedBy(top, a));
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/**
 * The signer named by an STI certificate: the Service Provider Code in its TNAuthList extension (RFC 8226 §9,
 * OID 1.3.6.1.5.5.7.1.26) — the OCN of the carrier accountable for an A/B attestation (domain.md §4.4).
 * A minimal DER walker over the certificate bytes (X509Certificate.raw): node:crypto does not expose custom
 * extensions. Pure; never throws — a malformed certificate has no SPC.
 */

interface Tlv {
  tag: number;
  /** Value start and end (exclusive) in the buffer. */
  start: number;
  end: number;
}

/** DER encoding of the TNAuthList OID 1.3.6.1.5.5.7.1.26 (value bytes of the OBJECT IDENTIFIER). */
const TN_AUTH_LIST_OID = Buffer.from([0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1a]);

const SEQUENCE = 0x30;
const OID = 0x06;
const OCTET_STRING = 0x04;
const IA5_STRING = 0x16;
/** tbsCertificate's `extensions [3] EXPLICIT`. */
const EXTENSIONS = 0xa3;
/** TNEntry `spc [0]`: EXPLICIT (constructed, holding an IA5String) as RFC 8226's module says; some issuers tag it IMPLICIT. */
const SPC_EXPLICIT = 0xa0;
const SPC_IMPLICIT = 0x80;

/** The SPC entries of the certificate's TNAuthList, in order; [] when it has none or the DER is malformed. */
export function spcsOf(certDer: Uint8Array): string[] {
  const list = tnAuthList(certDer);
  if (!list) return [];
  const spcs: string[] = [];
  for (const entry of children(certDer, list)) {
    let value: Tlv | undefined = entry;
    if (entry.tag === SPC_EXPLICIT) value = children(certDer, entry).find((t) => t.tag === IA5_STRING);
    else if (entry.tag !== SPC_IMPLICIT) continue;
    if (!value) continue;
    const spc = Buffer.from(certDer.buffer, certDer.byteOffset + value.start, value.end - value.start).toString('latin1');
    if (/^[\x21-\x7e]+$/.test(spc)) spcs.push(spc);
  }
  return spcs;
}

/** The TNAuthorizationList SEQUENCE inside the extension's OCTET STRING. */
function tnAuthList(der: Uint8Array): Tlv | undefined {
  const cert = readTlv(der, 0, der.length);
  if (cert?.tag !== SEQUENCE) return undefined;
  const tbs = readTlv(der, cert.start, cert.end);
  if (tbs?.tag !== SEQUENCE) return undefined;
  const extensions = children(der, tbs).find((t) => t.tag === EXTENSIONS);
  const list = extensions && children(der, extensions)[0];
  if (list?.tag !== SEQUENCE) return undefined;
  for (const ext of children(der, list)) {
    if (ext.tag !== SEQUENCE) continue;
    const [id, ...rest] = children(der, ext);
    if (id?.tag !== OID || !equalBytes(der, id, TN_AUTH_LIST_OID)) continue;
    // extnID, [critical BOOLEAN], extnValue OCTET STRING
    const value = rest[rest.length - 1];
    if (value?.tag !== OCTET_STRING) return undefined;
    const inner = readTlv(der, value.start, value.end);
    return inner?.tag === SEQUENCE ? inner : undefined;
  }
  return undefined;
}

/** The TLVs inside a constructed value; stops at the first malformed one. */
function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const tlv = readTlv(der, at, parent.end);
    if (!tlv) break;
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

/** One TLV at `at`, which must end by `limit`. Single-byte tags only (X.509 uses no high tag numbers). */
function readTlv(der: Uint8Array, at: number, limit: number): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = der[at + 1] as number;
  let start = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    // DER: definite lengths only, at most 4 octets here (certificates are far below 4 GB).
    if (octets === 0 || octets > 4 || start + octets > limit) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (der[start + i] as number);
    start += octets;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

function equalBytes(der: Uint8Array, tlv: Tlv, expected: Buffer): boolean {
  if (tlv.end - tlv.start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (der[tlv.start + i] !== expected[i]) return false;
  return true;
}

/**
 * The evidence bundle of a traceback (DESIGN §5): the case as stored — every hop with its original signed answer
 * (JWS) and the signer's public keys as registered when the answer arrived — and the hub's signature over it
 * all, with the hub's public key. An agency checks it offline (hub/evidence-check.ts, `hoptrace-hub verify`)
 * without trusting the hub for anything but the keys it registered.
 */
import { sign } from '../proto/envelope.js';
import { type KeyPair, publicKeyToRaw } from '../proto/keys.js';
import type { Case } from './case.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';

export const EVIDENCE_FORMAT = 'hoptrace-evidence/1';
export const EVIDENCE_TYPE = 'evidence';

export interface EvidenceHub {
  id: string;
  kid: string;
  /** base64url of the raw Ed25519 public key */
  publicKey: string;
}

export interface EvidenceBundle {
  format: typeof EVIDENCE_FORMAT;
  issuedAt: string;
  hub: EvidenceHub;
  case: Case;
  /** The hub's envelope (typ `evidence`) whose body is the SHA-256 of the canonical JSON of everything above. */
  signature: string;
}

export interface EvidenceSeal {
  tracebackId: string;
  sha256: string;
}

export function buildEvidence(c: Case, hubId: string, key: KeyPair, now: number): EvidenceBundle {
  const unsigned = {
    format: EVIDENCE_FORMAT,
    issuedAt: new Date(now).toISOString(),
    hub: { id: hubId, kid: key.kid, publicKey: publicKeyToRaw(key.publicKey) },
    case: c,
  } as const;
  const seal: EvidenceSeal = { tracebackId: c.id, sha256: evidenceDigest(unsigned) };
  return { ...unsigned, signature: sign(seal, { iss: hubId, aud: EVIDENCE_TYPE, typ: EVIDENCE_TYPE, key, now }) };
}

/** What the hub's signature covers: the bundle without its signature, as canonical JSON. */
export function evidenceDigest(bundle: object): string {
  const { signature: _signature, ...covered } = bundle as { signature?: unknown };
  return sha256Hex(canonicalJson(covered));
}

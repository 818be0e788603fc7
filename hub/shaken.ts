/**
 * The STIR/SHAKEN shortcut (reference domain.md, DESIGN §1): an A or B attestation names the provider accountable
 * for the call's origin. When an agent's answer carries one that it verified, the hub may ask that signer
 * directly instead of waiting for the chain to get there, and later check that the chain agrees. Pure.
 */
import type { HopAnswer } from '../proto/messages.js';

export interface Attestation {
  signer: string;
  attest: 'A' | 'B';
}

/** The first verified A or B attestation among an answer's matches (best match first), with a signer named. */
export function attestationOf(answer: HopAnswer): Attestation | undefined {
  for (const m of answer.matches) {
    const id = m.identity;
    if (id?.verified && id.signer && (id.attest === 'A' || id.attest === 'B')) return { signer: id.signer, attest: id.attest };
  }
  return undefined;
}

/** Does a provider's registered SHAKEN identity (SPC or OCN) name this signer? Certificates spell them in any case. */
export function signsAs(p: { spc?: string | undefined; ocn?: string | undefined }, signer: string): boolean {
  const s = signer.trim().toUpperCase();
  return [p.spc, p.ocn].some((code) => code !== undefined && code.toUpperCase() === s);
}

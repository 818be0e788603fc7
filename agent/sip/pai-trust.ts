/**
 * Whose P-Asserted-Identity the agent believes (RFC 3325 §2.3, §5): PAI is meaningful only inside a trust
 * domain, between nodes that agreed to assert identities under a common Spec(T). A peer outside it can write
 * any number into PAI, and DNO would then judge that number instead of the caller's From.
 *
 * The trust is per peer, by the address a message came from (the policy server's packet source, the HEP
 * capture's source, the address drachtio-server reports). No list: every peer is trusted — the agent sits
 * behind the carrier's SBCs, which remove PAI arriving from untrusted peers at the trust-domain boundary
 * (RFC 3325 §5). With a list only those networks are; an empty list trusts nobody.
 *
 * Pure; the networks are matched by source-filter.ts.
 */
import { addressList } from './source-filter.js';

export type PaiTrust = (address: string) => boolean;

const trustEveryone: PaiTrust = () => true;

/** `cidrs` are canonical `address/prefix` strings, as the config schema leaves them. */
export function paiTrust(cidrs: readonly string[] | undefined): PaiTrust {
  if (cidrs === undefined) return trustEveryone;
  return addressList(cidrs);
}

/**
 * The ingress map: where a call entered this carrier → who handed it over.
 * An ingress resolves to an upstream provider, one of the carrier's own customers (the carrier originated
 * the call), or a foreign peer (the carrier is the point of entry). Pure, built once from config.
 *
 * Precedence: a trunk group names the peer most precisely, then a realm, then the signalling IP by longest
 * CIDR prefix (a /32 for one peer beats the /24 of its data centre).
 */
import net from 'node:net';
import type { Ingress } from '../proto/messages.js';

export type IngressMatch = { cidr: string } | { trunkGroup: string } | { realm: string };
export type IngressTarget =
  | { upstream: { providerId?: string; name: string } }
  | { customer: { account?: string; name?: string } }
  | { foreign: { name: string } };
export interface IngressRule {
  match: IngressMatch;
  target: IngressTarget;
}

export type Resolved =
  | { kind: 'upstream'; providerId?: string; name: string }
  | { kind: 'customer'; account?: string; name?: string }
  | { kind: 'foreign'; name: string };

interface CidrRule {
  list: net.BlockList;
  bits: number;
  target: Resolved;
}

export class IngressMap {
  private readonly trunks = new Map<string, Resolved>();
  private readonly realms = new Map<string, Resolved>();
  private readonly cidrs: CidrRule[] = [];

  constructor(rules: readonly IngressRule[]) {
    for (const r of rules) {
      const target = resolved(r.target);
      if ('trunkGroup' in r.match) this.trunks.set(r.match.trunkGroup.toLowerCase(), target);
      else if ('realm' in r.match) this.realms.set(r.match.realm.toLowerCase(), target);
      else this.cidrs.push(cidrRule(r.match.cidr, target));
    }
    this.cidrs.sort((a, b) => b.bits - a.bits);
  }

  resolve(ingress: Ingress): Resolved | undefined {
    if (ingress.trunkGroup) {
      const t = this.trunks.get(ingress.trunkGroup.toLowerCase());
      if (t) return t;
    }
    if (ingress.realm) {
      const t = this.realms.get(ingress.realm.toLowerCase());
      if (t) return t;
    }
    if (ingress.ip) {
      const family = net.isIP(ingress.ip);
      if (family) {
        const type = family === 6 ? 'ipv6' : 'ipv4';
        for (const c of this.cidrs) if (c.list.check(ingress.ip, type)) return c.target;
      }
    }
    return undefined;
  }
}

function resolved(t: IngressTarget): Resolved {
  if ('upstream' in t) return { kind: 'upstream', ...t.upstream };
  if ('customer' in t) return { kind: 'customer', ...t.customer };
  return { kind: 'foreign', ...t.foreign };
}

export class IngressRuleError extends Error {
  override readonly name = 'IngressRuleError';
  constructor(readonly cidr: string) {
    super(`not a CIDR: ${cidr}`);
  }
}

function cidrRule(cidr: string, target: Resolved): CidrRule {
  const [addr = '', bitsText] = cidr.split('/');
  const family = net.isIP(addr);
  const max = family === 6 ? 128 : 32;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!family || !Number.isInteger(bits) || bits < 0 || bits > max) throw new IngressRuleError(cidr);
  const list = new net.BlockList();
  list.addSubnet(addr, bits, family === 6 ? 'ipv6' : 'ipv4');
  return { list, bits, target };
}

/**
 * Ingress map rules (DESIGN §1 "Where the answer comes from"): an ingress — a peer network, an SBC trunk
 * group or a SIP realm — maps to an upstream provider, to one of the carrier's own customers (this hop is
 * the originator), or to a foreign network (this carrier is the point of entry). Exactly one match key and
 * exactly one target per rule; the loaded types are unions, so consumers narrow with `'cidr' in match`.
 */
import { z } from 'zod';
import { Customer, Upstream } from '../proto/messages.js';
import { cidr } from './fields.js';

export type IngressMatch = { cidr: string } | { trunkGroup: string } | { realm: string };

export type IngressTarget =
  | { upstream: z.infer<typeof Upstream> }
  | { customer: z.infer<typeof Customer> }
  | { foreign: { name: string } };

export const IngressMatch = exactlyOne(
  z
    .object({
      cidr: cidr().optional().describe('Peer network, IPv4 or IPv6, e.g. 198.51.100.0/24 or 2001:db8::/32; a bare address is one host'),
      trunkGroup: z.string().min(1).max(128).optional().describe('SBC trunk group name, as in the CDRs'),
      realm: z.string().min(1).max(128).optional().describe('SBC realm name (Oracle/Acme)'),
    })
    .strict(),
).transform((m) => m as IngressMatch);

export const IngressTarget = exactlyOne(
  z
    .object({
      upstream: Upstream.extend({
        providerId: Upstream.shape.providerId.describe('Upstream\'s provider id at the hub, so the traceback can ask it next'),
        name: Upstream.shape.name.describe('Upstream\'s name, as an answer discloses it'),
      })
        .strict()
        .optional()
        .describe('The call came from this upstream provider'),
      customer: Customer.extend({
        account: Customer.shape.account.describe('Customer account, as an answer discloses it'),
        name: Customer.shape.name.describe('Customer name, as an answer discloses it'),
      })
        .strict()
        .optional().describe('The call came from this own customer: this carrier is the originator; account and name are what an answer discloses'),
      foreign: z
        .object({ name: z.string().min(1).max(256).describe('Foreign network\'s name') })
        .strict()
        .optional()
        .describe('The call came from outside the country: this carrier is the point of entry'),
    })
    .strict(),
).transform((t) => t as IngressTarget);

export const IngressRule = z
  .object({
    match: IngressMatch.describe('Which calls the rule applies to (exactly one key)'),
    target: IngressTarget.describe('Where such calls come from (exactly one key)'),
  })
  .strict();
export type IngressRule = z.infer<typeof IngressRule>;

function exactlyOne<T extends z.ZodObject>(schema: T) {
  const keys = Object.keys(schema.shape);
  return schema.refine((value: Record<string, unknown>) => keys.filter((k) => value[k] !== undefined).length === 1, {
    error: `exactly one of ${keys.join(', ')}`,
    abort: true,
  });
}

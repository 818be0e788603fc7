import { describe, expect, it } from 'vitest';
import { IngressMap, IngressRuleError, type IngressRule } from '../../agent/ingress.js';

const RULES: IngressRule[] = [
  { match: { cidr: '198.51.100.0/24' }, target: { upstream: { providerId: 'carrier-b', name: 'Carrier B' } } },
  { match: { cidr: '198.51.100.7' }, target: { upstream: { providerId: 'carrier-c', name: 'Carrier C (one SBC)' } } },
  { match: { cidr: '2001:db8::/32' }, target: { foreign: { name: 'Overseas Telecom' } } },
  { match: { trunkGroup: 'TG_CUST_ACME' }, target: { customer: { account: 'ACME-001', name: 'Acme Dialers' } } },
  { match: { realm: 'peer-d' }, target: { upstream: { name: 'Carrier D' } } },
];

describe('ingress map', () => {
  const map = new IngressMap(RULES);

  it.each([
    ['a peer IP in a network', { ip: '198.51.100.9' }, { kind: 'upstream', providerId: 'carrier-b', name: 'Carrier B' }],
    ['the longest prefix (a /32 beats its /24)', { ip: '198.51.100.7', port: 5060 }, { kind: 'upstream', providerId: 'carrier-c', name: 'Carrier C (one SBC)' }],
    ['an IPv6 peer', { ip: '2001:db8::7' }, { kind: 'foreign', name: 'Overseas Telecom' }],
    ['a trunk group, case-insensitively', { trunkGroup: 'tg_cust_acme' }, { kind: 'customer', account: 'ACME-001', name: 'Acme Dialers' }],
    ['a trunk group before the peer IP', { trunkGroup: 'TG_CUST_ACME', ip: '198.51.100.9' }, { kind: 'customer', account: 'ACME-001', name: 'Acme Dialers' }],
    ['a realm before the peer IP', { realm: 'PEER-D', ip: '198.51.100.9' }, { kind: 'upstream', name: 'Carrier D' }],
    ['an unknown trunk group, then the peer IP', { trunkGroup: 'TG_OTHER', ip: '198.51.100.9' }, { kind: 'upstream', providerId: 'carrier-b', name: 'Carrier B' }],
  ])('maps %s', (_what, ingress, expected) => {
    expect(map.resolve(ingress)).toEqual(expected);
  });

  it.each([
    ['an address outside every rule', { ip: '203.0.113.5' }],
    ['a host name, which is never resolved', { ip: 'sbc.example.net' }],
    ['no ingress at all', {}],
  ])('finds nothing for %s', (_what, ingress) => {
    expect(map.resolve(ingress)).toBeUndefined();
  });

  it('refuses a rule whose network is not a CIDR, naming it', () => {
    expect(() => new IngressMap([{ match: { cidr: '198.51.100.0/33' }, target: { foreign: { name: 'x' } } }])).toThrow(new IngressRuleError('198.51.100.0/33'));
    expect(() => new IngressMap([{ match: { cidr: 'not-an-ip' }, target: { foreign: { name: 'x' } } }])).toThrow('not a CIDR: not-an-ip');
  });
});

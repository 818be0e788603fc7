import { describe, expect, it } from 'vitest';
import { paiTrust } from '../../../agent/sip/pai-trust.js';

describe('paiTrust', () => {
  it('without a list every peer is trusted (the SBC in front keeps the trust-domain boundary)', () => {
    const trusts = paiTrust(undefined);
    expect(['10.0.0.1', '2001:db8::1', '203.0.113.5'].map(trusts)).toEqual([true, true, true]);
  });

  it('an empty list trusts nobody', () => {
    expect(paiTrust([])('10.0.0.1')).toBe(false);
  });

  it.each([
    ['10.20.0.5', true],
    ['10.20.255.255', true],
    ['10.21.0.1', false],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
    ['2001:db8:5::1', true],
    ['2001:db8:6::1', false],
    // An IPv4 peer seen on a dual-stack socket is the same peer.
    ['::ffff:10.20.0.5', true],
    ['not-an-address', false],
    ['', false],
  ])('%s → %s', (address, expected) => {
    const trusts = paiTrust(['10.20.0.0/16', '192.0.2.7/32', '2001:db8:5::/48']);
    // Asked twice: the cached answer is the same as the first.
    expect([trusts(address), trusts(address)]).toEqual([expected, expected]);
  });

  it('keeps answering correctly when more peers than its cache holds have asked', () => {
    const trusts = paiTrust(['10.0.0.0/8']);
    for (let i = 0; i < 5_000; i++) trusts(`192.0.${(i >> 8) & 255}.${i & 255}`);
    expect([trusts('10.1.2.3'), trusts('192.0.0.1')]).toEqual([true, false]);
  });
});

import { describe, expect, it } from 'vitest';
import { CidrError, formatCidr, parseCidr } from '../../config/cidr.js';
import { AddressError, formatAddress, parseHostPort, parseListenAddress } from '../../config/listen.js';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.7', '192.0.2.7/32'],
    ['198.51.100.128/25', '198.51.100.128/25'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:DB8:0:0::/64', '2001:db8::/64'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['::ffff:192.0.2.0/120', '::ffff:c000:200/120'],
    ['2001:db8:4400::/40', '2001:db8:4400::/40'],
  ])('reads %s as the network %s', (text, canonical) => {
    expect(formatCidr(parseCidr(text))).toBe(canonical);
  });

  it.each([
    ['10.0.0.1/8', 'host bits set: the network is 10.0.0.0/8'],
    ['2001:db8::1/32', 'host bits set: the network is 2001:db8::/32'],
    ['10.0.0.0/33', 'prefix length must be 0–32 for IPv4'],
    ['::/129', 'prefix length must be 0–128 for IPv6'],
    ['10.0.0.0/', 'prefix length must be 0–32 for IPv4'],
    ['10.0.0/8', 'expected an IPv4 or IPv6 network like 10.0.0.0/8 or 2001:db8::/32'],
    ['example.com/24', 'expected an IPv4 or IPv6 network like 10.0.0.0/8 or 2001:db8::/32'],
  ])('refuses %s: %s', (text, reason) => {
    expect(() => parseCidr(text)).toThrow(new CidrError(text, reason));
  });
});

describe('listen addresses', () => {
  it.each([
    ['udp:0.0.0.0:5060', { transport: 'udp', host: '0.0.0.0', port: 5060 }],
    ['tcp:[::]:5061', { transport: 'tcp', host: '::', port: 5061 }],
    ['udp:127.0.0.1:0', { transport: 'udp', host: '127.0.0.1', port: 0 }],
  ] as const)('reads %s and writes it back the same', (text, address) => {
    expect(parseListenAddress(text, ['udp', 'tcp'])).toEqual(address);
    expect(formatAddress(address)).toBe(text);
  });

  it('reads HOST:PORT and writes it back the same', () => {
    expect(parseHostPort('[::1]:9091')).toEqual({ host: '::1', port: 9091 });
    expect(formatAddress({ host: '::1', port: 9091 })).toBe('[::1]:9091');
  });

  it.each([
    ['tcp:0.0.0.0:9060', undefined],
    ['udp:0.0.0.0', undefined],
    ['udp:0.0.0.0:5060x', 'port "5060x" is not 0–65535'],
    ['udp:fe80::1%eth0:5060', 'an IPv6 host goes in brackets, e.g. [::1]:5060'],
    ['udp:[fe80::1%eth0]:5060', 'host "fe80::1%eth0" is not an IP address'],
  ])('refuses %s for a UDP-only listener', (text, detail) => {
    expect(() => parseListenAddress(text, ['udp'])).toThrow(new AddressError(text, detail));
  });
});

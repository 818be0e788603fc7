/**
 * Peers by network (CIDR lists of the config): whose packets a listener takes (`sip.allowFrom`, `hep.allowFrom`)
 * and whose P-Asserted-Identity is believed (`sip.trustPaiFrom`). Judged by the address a datagram or connection
 * came from, never by an address a message claims. IPv4-mapped IPv6 sources (a dual-stack socket's ::ffff:a.b.c.d)
 * match IPv4 networks (node:net BlockList).
 *
 * The answer per address is cached, since a site's peers are a handful of SBCs.
 */
import { BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import { parseCidr } from '../../config/cidr.js';
import type { ListenAddress } from '../../config/listen.js';
import { isLoopbackHost } from '../../config/loopback.js';

export type AddressTest = (address: string) => boolean;

/** Addresses remembered before the cache starts over: a flood of spoofed sources must not grow memory. */
const CACHE_LIMIT = 4_096;

/** `cidrs` are `address/prefix` strings (config/cidr.ts: a CidrError otherwise); [] matches nothing. */
export function addressList(cidrs: readonly string[]): AddressTest {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const { version, prefix } = parseCidr(cidr);
    list.addSubnet(cidr.split('/')[0] as string, prefix, version === 6 ? 'ipv6' : 'ipv4');
  }
  const cache = new Map<string, boolean>();
  return (address) => {
    let listed = cache.get(address);
    if (listed === undefined) {
      const family = isIP(address);
      listed = family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(address, listed);
    }
    return listed;
  };
}

/** A listener's `admit` for an `allowFrom` list: undefined when there is none (every source taken); `refused` counts a drop. */
export function admitFrom(cidrs: readonly string[] | undefined, refused: () => void): AddressTest | undefined {
  if (cidrs === undefined) return undefined;
  const listed = addressList(cidrs);
  return (address) => listed(address) || (refused(), false);
}

/**
 * Without an allow-list, anyone who reaches a non-loopback listener can put calls in the call index (which hop
 * answers may disclose) and, over UDP, have answers reflected to a spoofed address: said once, at start.
 */
export function warnIfOpen(listen: ListenAddress, allowFrom: readonly string[] | undefined, setting: string, log: Pick<Logger, 'warn'>): void {
  if (allowFrom !== undefined || isLoopbackHost(listen.host)) return;
  log.warn(
    { listen: `${listen.transport}:${listen.host}:${listen.port}`, setting },
    `listening on a non-loopback address with no ${setting}: any host that reaches it is taken; list your SBCs there or firewall the port`,
  );
}

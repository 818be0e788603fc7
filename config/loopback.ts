/**
 * Loopback hosts: where plain HTTP and an open listener are safe because nothing off the machine reaches them.
 * A name counts only when it is `localhost`; any other name may resolve anywhere.
 */
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** `host` as a URL or a listen address writes it: a name, an IPv4 literal, an IPv6 literal with or without brackets. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 6 ? 'ipv6' : 'ipv4');
}

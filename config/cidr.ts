/**
 * IP networks in CIDR notation (RFC 4632; RFC 4291 §2.3 for IPv6), as the ingress map names peers.
 * A bare address is a one-host network (/32 or /128). A network with host bits set (`10.1.0.0/8`) is
 * refused rather than silently widened: it is usually a typo for a longer prefix.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

export interface Cidr {
  version: 4 | 6;
  /** Network address bytes (4 or 16). */
  bytes: Uint8Array;
  prefix: number;
}

export class CidrError extends Error {
  override readonly name = 'CidrError';
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`bad CIDR ${JSON.stringify(text)}: ${reason}`);
  }
}

const EXPECTED = 'expected an IPv4 or IPv6 network like 10.0.0.0/8 or 2001:db8::/32';

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 0 || address.includes('%')) throw new CidrError(text, EXPECTED);
  const version = family === 4 ? 4 : 6;
  const bits = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw new CidrError(text, `prefix length must be 0–${bits} for IPv${version}`);
  }
  const prefix = Number(prefixText);
  const bytes = version === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  const network = masked(bytes, prefix);
  if (!network.every((b, i) => b === bytes[i])) {
    throw new CidrError(text, `host bits set: the network is ${formatCidr({ version, bytes: network, prefix })}`);
  }
  return { version, bytes, prefix };
}

export function formatCidr(cidr: Cidr): string {
  const address =
    cidr.version === 4
      ? cidr.bytes.join('.')
      : // URL serialisation compresses IPv6 canonically (RFC 5952).
        new URL(`http://[${groups(cidr.bytes).join(':')}]`).hostname.slice(1, -1);
  return `${address}/${cidr.prefix}`;
}

/** A CIDR setting: any valid network in the file, its canonical `address/prefix` in the loaded config. */
export function cidrSchema(): z.ZodType<string, string> {
  return z.string().transform((text, ctx) => {
    try {
      return formatCidr(parseCidr(text.trim()));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof CidrError ? err.reason : EXPECTED, input: text });
      return z.NEVER;
    }
  });
}

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  return bytes.map((b, i) => {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    return b & (0xff << (8 - keep)) & 0xff;
  });
}

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

/** `address` is already known to be valid IPv6 (node:net isIP), possibly with `::` and a dotted IPv4 tail. */
function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  if (text.includes('.')) {
    const tail = text.lastIndexOf(':');
    const [a, b, c, d] = ipv4Bytes(text.slice(tail + 1));
    text = `${text.slice(0, tail + 1)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - left.length - right.length).fill('0');
  const bytes = new Uint8Array(16);
  [...left, ...zeros, ...right].forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

function groups(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) out.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return out;
}

/**
 * Listen addresses as operators write them: `udp:HOST:PORT`, `tcp:HOST:PORT` (SIP, HEP) and `HOST:PORT`
 * (HTTP). HOST is an IP literal, IPv6 in brackets (`udp:[::]:5060`): a listener binds an address, and a
 * name would need a resolver to decide which one. Port 0 asks the OS for a free port (tests, the demo).
 */
import { isIP } from 'node:net';
import { z } from 'zod';

export type Transport = 'udp' | 'tcp';

export interface HostPort {
  host: string;
  port: number;
}

export interface ListenAddress extends HostPort {
  transport: Transport;
}

/** `detail` says which part is wrong; without it the text does not have the expected form at all. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
  constructor(
    readonly text: string,
    readonly detail?: string,
  ) {
    super(`bad address ${JSON.stringify(text)}${detail === undefined ? '' : `: ${detail}`}`);
  }
}

export function parseHostPort(text: string): HostPort {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  const plain = /^([^:[\]]*):([^:]*)$/.exec(text);
  const parts = bracketed ?? plain;
  if (!parts) {
    throw new AddressError(text, /:.*:/.test(text) && !text.includes('[') ? 'an IPv6 host goes in brackets, e.g. [::1]:5060' : undefined);
  }
  const host = parts[1]!;
  const port = parts[2]!;
  const family = isIP(host);
  if (family === 0 || host.includes('%')) throw new AddressError(text, `host "${host}" is not an IP address`);
  if (bracketed && family !== 6) throw new AddressError(text, 'only an IPv6 host goes in brackets');
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65_535) throw new AddressError(text, `port "${port}" is not 0–65535`);
  return { host, port: Number(port) };
}

export function parseListenAddress(text: string, transports: readonly Transport[]): ListenAddress {
  const colon = text.indexOf(':');
  const transport = transports.find((t) => t === text.slice(0, colon));
  if (colon < 0 || transport === undefined) {
    throw new AddressError(text);
  }
  try {
    return { transport, ...parseHostPort(text.slice(colon + 1)) };
  } catch (err) {
    throw err instanceof AddressError ? new AddressError(text, err.detail) : err;
  }
}

/** A `HOST:PORT` setting: a string in the file, a `HostPort` in the loaded config. */
export function hostPortSchema(): z.ZodType<HostPort, string> {
  return addressSchema('HOST:PORT', parseHostPort);
}

/** A `udp:HOST:PORT` (or `tcp:...`) setting: a string in the file, a `ListenAddress` in the loaded config. */
export function listenSchema(transports: readonly Transport[]): z.ZodType<ListenAddress, string> {
  const expected = transports.map((t) => `${t}:HOST:PORT`).join(' or ');
  return addressSchema(expected, (text) => parseListenAddress(text, transports));
}

function addressSchema<T>(expected: string, parseText: (text: string) => T): z.ZodType<T, string> {
  return z.string({ error: `expected ${expected}` }).transform((text, ctx) => {
    try {
      return parseText(text);
    } catch (err) {
      const detail = err instanceof AddressError && err.detail !== undefined ? `: ${err.detail}` : '';
      ctx.addIssue({ code: 'custom', message: `expected ${expected}${detail}`, input: text });
      return z.NEVER;
    }
  });
}

/** The inverse of the parsers, for printing an effective config that loads again. */
export function formatAddress(address: HostPort | ListenAddress): string {
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  const hostPort = `${host}:${address.port}`;
  return 'transport' in address ? `${address.transport}:${hostPort}` : hostPort;
}

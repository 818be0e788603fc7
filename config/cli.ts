/**
 * What both command-line programs share: turning errors into one clear line and an exit code (never a stack
 * trace), and `keygen`.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateKeyPair, privateKeyToPem, publicKeyToRaw } from '../proto/keys.js';
import { ConfigError } from './errors.js';

/** A command-line usage problem: printed with the usage text, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export async function runMain(usage: string, main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${usage}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  }
}

/** Parse flags strictly; an unknown flag is a UsageError naming it. */
export function flags<T extends NonNullable<Parameters<typeof parseArgs>[0]>['options']>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options: options!, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `keygen [--out FILE] [--kid KID]`: a new Ed25519 key; the PEM goes to FILE (mode 0600), the public part to stdout. */
export function keygen(args: readonly string[], out: (s: string) => void): void {
  const { values } = flags(args, { out: { type: 'string' }, kid: { type: 'string' } });
  const key = generateKeyPair(values.kid as string | undefined);
  const pem = privateKeyToPem(key.privateKey);
  if (values.out) writeFileSync(values.out as string, pem, { mode: 0o600, flag: 'wx' });
  else out(pem);
  out(`kid: ${key.kid}\npublicKey: ${publicKeyToRaw(key.publicKey)}\n`);
}

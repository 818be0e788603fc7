/**
 * Evidence from the command line:
 *   evidence ID [--out FILE]              fetch a traceback's signed evidence bundle
 *   verify BUNDLE [--hub-key PUBLICKEY] [--provider-keys FILE]   check it offline; exit 1 naming each signature
 *                                         or link that fails; FILE: provider id → public key(s) known independently
 *   verify NOTIFICATION [--hub-key PUBLICKEY] [--subscriber ID]   a referral or notice as a subscriber received it
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { flags, UsageError } from '../../config/cli.js';
import { checkEvidence } from '../evidence-check.js';
import { parseProviderKeys, type ProviderKeys, ProviderKeysError } from '../evidence-keys.js';
import { checkNotification, isNotification } from '../notify/verify.js';
import { clientFlags, type Out, withClient } from './client.js';

export async function evidenceCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = flags(args, { ...clientFlags, out: { type: 'string' } });
  if (!positionals[0]) throw new UsageError('evidence needs a traceback id');
  const text = `${JSON.stringify(await withClient(values, (c) => c.evidence(positionals[0]!)), null, 2)}\n`;
  if (values.out) {
    writeFileSync(values.out as string, text, { flag: 'wx' });
    out(`wrote ${String(values.out)}\n`);
  } else out(text);
  return 0;
}

export function verifyCommand(args: string[], out: Out): number {
  const { values, positionals } = flags(args, { 'hub-key': { type: 'string' }, 'provider-keys': { type: 'string' }, subscriber: { type: 'string' } });
  const file = positionals[0];
  if (!file) throw new UsageError('verify needs the evidence bundle (or notification) file');
  const providerKeys = values['provider-keys'] === undefined ? {} : { providerKeys: readProviderKeys(values['provider-keys'] as string) };
  let bundle: unknown;
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    out(`FAIL ${file}: not readable JSON (${err instanceof Error ? err.message : String(err)})\n`);
    return 1;
  }
  const hubKey = values['hub-key'] ? { hubKey: values['hub-key'] as string } : {};
  // A referral or notice a subscriber received (hub/notify/) is checked with its embedded evidence.
  if (isNotification(bundle) && values['provider-keys'] !== undefined) throw new UsageError('--provider-keys checks evidence bundles, not notifications');
  const r = isNotification(bundle)
    ? checkNotification(bundle, { ...hubKey, ...(values.subscriber && { subscriber: values.subscriber as string }) })
    : checkEvidence(bundle, { ...hubKey, ...providerKeys });
  for (const p of r.passed) out(`ok   ${p}\n`);
  for (const f of r.failures) out(`FAIL ${f}\n`);
  out(r.ok ? `${file}: verified\n` : `${file}: ${r.failures.length} check(s) failed\n`);
  if (r.ok && !values['hub-key']) out('note: the hub key was taken from the bundle itself; pass --hub-key to pin the key you know\n');
  if (r.ok && !values['provider-keys'] && !isNotification(bundle)) out('note: provider keys were taken from the bundle itself; pass --provider-keys to check them against keys you obtained\n');
  return r.ok ? 0 : 1;
}

/** A bad keys file is bad use (exit 2, nothing checked): the checker must know which keys were pinned. */
function readProviderKeys(file: string): ProviderKeys {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--provider-keys ${file}: not readable (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    return parseProviderKeys(text, file);
  } catch (err) {
    if (err instanceof ProviderKeysError) throw new UsageError(`--provider-keys: ${err.message}`);
    throw err;
  }
}

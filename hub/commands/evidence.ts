/**
 * Evidence from the command line:
 *   evidence ID [--out FILE]              fetch a traceback's signed evidence bundle
 *   verify BUNDLE [--hub-key PUBLICKEY]   check it offline; exit 1 naming each signature or link that fails
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { flags, UsageError } from '../../config/cli.js';
import { checkEvidence } from '../evidence-check.js';
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
  const { values, positionals } = flags(args, { 'hub-key': { type: 'string' } });
  const file = positionals[0];
  if (!file) throw new UsageError('verify needs the evidence bundle file');
  let bundle: unknown;
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    out(`FAIL ${file}: not readable JSON (${err instanceof Error ? err.message : String(err)})\n`);
    return 1;
  }
  const r = checkEvidence(bundle, values['hub-key'] ? { hubKey: values['hub-key'] as string } : {});
  for (const p of r.passed) out(`ok   ${p}\n`);
  for (const f of r.failures) out(`FAIL ${f}\n`);
  out(r.ok ? `${file}: verified\n` : `${file}: ${r.failures.length} check(s) failed\n`);
  if (r.ok && !values['hub-key']) out('note: the hub key was taken from the bundle itself; pass --hub-key to pin the key you know\n');
  return r.ok ? 0 : 1;
}

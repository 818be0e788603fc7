/**
 * `hoptrace-hub manual`: manual hops waiting for a person, each with the link to send to the provider's contact:
 * the answer page with the token in its fragment (hub/manual.ts `manualLinkUrl`).
 */
import { flags } from '../../config/cli.js';
import { clientFlags, type Out, withClient } from './client.js';

export async function manualCommand(args: string[], out: Out): Promise<number> {
  const { values } = flags(args, clientFlags);
  const pending = await withClient(values, (c) => c.pendingManual());
  for (const p of pending) {
    const contact = [p.contact?.email, p.contact?.phone].filter(Boolean).join(', ') || 'no contact registered';
    out(`${p.caseId}  ${p.provider}  due ${p.deadline}  ${contact}\n  ${p.url}\n`);
  }
  if (!pending.length) out('no manual hop is waiting\n');
  return 0;
}

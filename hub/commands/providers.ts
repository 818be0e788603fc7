/**
 * `hoptrace-hub providers add --file FILE | list | show ID | update ID [--file PATCH]
 *  [--rotate-key KID:PUBLICKEY [--not-before ISO8601] [--overlap-hours H]]`
 */
import { flags, UsageError } from '../../config/cli.js';
import { loadProvidersFile } from '../../config/load.js';
import { readSettingsFile } from '../../config/file.js';
import type { Provider } from '../store/store.js';
import type { HubClient } from '../client.js';
import { clientFlags, type Out, withClient } from './client.js';

export async function providersCommand(args: string[], out: Out): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = flags(rest, {
    ...clientFlags,
    file: { type: 'string' },
    'rotate-key': { type: 'string' },
    'not-before': { type: 'string' },
    'overlap-hours': { type: 'string' },
  });
  return withClient(values, (c) => providers(c, sub, values as Record<string, string | boolean | undefined>, positionals, out));
}

async function providers(c: HubClient, sub: string | undefined, values: Record<string, string | boolean | undefined>, positionals: string[], out: Out): Promise<number> {
  switch (sub) {
    case 'list':
      for (const p of await c.listProviders()) out(`${p.id}\t${p.reach}\t${p.foreign ? 'foreign' : p.country}${p.gateway ? ' gateway' : ''}\t${p.name}${p.provisional ? '\t(provisional)' : ''}\n`);
      return 0;
    case 'add':
      if (!values.file) throw new UsageError('providers add needs --file FILE (a YAML/JSON list of providers)');
      for (const p of loadProvidersFile(values.file as string)) out(`registered ${(await c.addProvider(p)).id}\n`);
      return 0;
    case 'show': {
      if (!positionals[0]) throw new UsageError('providers show needs a provider id');
      out(formatProvider(await c.getProvider(positionals[0])));
      return 0;
    }
    case 'update': {
      const id = positionals[0];
      if (!id) throw new UsageError('providers update needs a provider id');
      if (!values.file && !values['rotate-key']) throw new UsageError('providers update needs --file PATCH and/or --rotate-key KID:PUBLICKEY');
      let p: Provider | undefined;
      if (values.file) p = await c.updateProvider(id, readSettingsFile(values.file as string));
      if (values['rotate-key']) {
        const [kid, publicKey] = splitKey(values['rotate-key'] as string);
        p = await c.rotateKey(id, {
          kid,
          publicKey,
          ...(values['not-before'] && { notBefore: values['not-before'] }),
          ...(values['overlap-hours'] && { overlapHours: Number(values['overlap-hours']) }),
        });
      }
      out(formatProvider(p!));
      return 0;
    }
    default:
      throw new UsageError('providers: expected add, list, show or update');
  }
}

function splitKey(value: string): [string, string] {
  const at = value.lastIndexOf(':');
  if (at <= 0 || at === value.length - 1) throw new UsageError('--rotate-key takes KID:PUBLICKEY (as `hoptrace-agent keygen` prints them)');
  return [value.slice(0, at), value.slice(at + 1)];
}

/** A provider as people read it. */
export function formatProvider(p: Provider): string {
  const lines = [
    `${p.id}  ${p.name}${p.provisional ? `  (provisional: named by ${p.provisional.namedBy}'s ${p.provisional.answeredBy} in traceback ${p.provisional.caseId})` : ''}`,
    `  country ${p.country}${p.foreign ? ', foreign' : ''}${p.gateway ? ', gateway' : ''}`,
    `  reach   ${p.reach}${p.pushUrl ? ` ${p.pushUrl}` : ''}`,
    `  contact ${[p.contact?.email, p.contact?.phone].filter(Boolean).join(', ') || '(none)'}`,
  ];
  if (p.spc || p.ocn) lines.push(`  shaken  ${[p.spc && `SPC ${p.spc}`, p.ocn && `OCN ${p.ocn}`].filter(Boolean).join(', ')}`);
  for (const k of p.keys) lines.push(`  key     ${k.kid}  ${k.publicKey}  ${k.notBefore ?? '…'} → ${k.notAfter ?? '…'}`);
  if (!p.keys.length) lines.push('  key     (none)');
  return `${lines.join('\n')}\n`;
}

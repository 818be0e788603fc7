#!/usr/bin/env node
/** hoptrace-hub: serves the hub, and the client commands people and scripts use against a running hub. */
import { createHash } from 'node:crypto';
import { flags, keygen, runMain, UsageError } from '../config/cli.js';
import { formatEffective, loadHubConfig, loadProvidersFile } from '../config/load.js';
import { createLogger } from '../config/log.js';
import { newToken, ROLES, type Role } from './auth.js';
import type { Case } from './case.js';
import { HubClient } from './client.js';
import { startHub } from './server.js';

const USAGE = `usage:
  hoptrace-hub serve [--config FILE] [--http HOST:PORT] [--redis URL] [--providers FILE]
  hoptrace-hub check [same flags]          validate the configuration and print the effective settings
  hoptrace-hub keygen [--out FILE]         make the hub's Ed25519 signing key
  hoptrace-hub token create --id ID --roles ROLE[,ROLE] [--expires ISO8601]
  hoptrace-hub trace --calling N --called N --at ISO8601 --from PROVIDER [--campaign NAME] [--wait]
  hoptrace-hub show ID
  hoptrace-hub providers add --file FILE | providers list
client commands take --hub URL (HOPTRACE_HUB_URL) and --token TOKEN (HOPTRACE_TOKEN)`;

const [command, ...args] = process.argv.slice(2);
const out = (s: string) => process.stdout.write(s);

await runMain(USAGE, async () => {
  switch (command) {
    case 'serve': {
      const { config, warnings } = loadHubConfig({ flags: args });
      const log = createLogger('hoptrace-hub', config.log.level);
      for (const w of warnings) log.warn(w);
      const hub = await startHub(config, log);
      const shutdown = (signal: string) => {
        log.info({ signal }, 'stopping');
        void hub.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      return;
    }
    case 'check': {
      const { config, warnings, sources } = loadHubConfig({ flags: args });
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      out(formatEffective(config, sources));
      return 0;
    }
    case 'keygen':
      keygen(args, out);
      return 0;
    case 'token':
      return tokenCommand(args);
    case 'trace':
      return traceCommand(args);
    case 'show': {
      const { values, positionals } = flags(args, clientFlags);
      if (!positionals[0]) throw new UsageError('show needs a traceback id');
      out(formatCase(await client(values).getTraceback(positionals[0])));
      return 0;
    }
    case 'providers':
      return providersCommand(args);
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'a command is required');
  }
});

const clientFlags = { hub: { type: 'string' }, token: { type: 'string' } } as const;

function client(values: { hub?: string | boolean | undefined; token?: string | boolean | undefined }): HubClient {
  const url = (values.hub as string | undefined) ?? process.env.HOPTRACE_HUB_URL;
  const token = (values.token as string | undefined) ?? process.env.HOPTRACE_TOKEN;
  if (!url) throw new UsageError('--hub URL (or HOPTRACE_HUB_URL) is required');
  if (!token) throw new UsageError('--token TOKEN (or HOPTRACE_TOKEN) is required');
  return new HubClient(url, token);
}

function tokenCommand(args: string[]): number {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new UsageError('token: expected `token create`');
  const { values } = flags(rest, { id: { type: 'string' }, roles: { type: 'string' }, expires: { type: 'string' } });
  const roles = String(values.roles ?? '').split(',').filter(Boolean);
  if (!values.id) throw new UsageError('token create needs --id');
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (!roles.length || bad.length) throw new UsageError(`--roles must list some of ${ROLES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}`);
  const token = newToken();
  const sha256 = createHash('sha256').update(token).digest('hex');
  out(`token: ${token}\n# shown once; add this entry to the hub's tokens file:\n- { id: ${String(values.id)}, roles: [${(roles as Role[]).join(', ')}], sha256: ${sha256}${values.expires ? `, expires: ${String(values.expires)}` : ''} }\n`);
  return 0;
}

async function traceCommand(args: string[]): Promise<number> {
  const { values } = flags(args, {
    ...clientFlags,
    calling: { type: 'string' },
    called: { type: 'string' },
    at: { type: 'string' },
    from: { type: 'string' },
    campaign: { type: 'string' },
    wait: { type: 'boolean' },
  });
  const c = client(values);
  const started = await c.startTraceback({
    call: { calling: values.calling, called: values.called, at: values.at },
    firstProvider: values.from,
    ...(values.campaign && { campaign: values.campaign }),
  });
  const shown = values.wait ? await c.waitForEnd(started.id, 120_000) : started;
  out(formatCase(shown));
  return shown.status === 'open' && values.wait ? 3 : 0;
}

async function providersCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = flags(rest, { ...clientFlags, file: { type: 'string' } });
  const c = client(values);
  if (sub === 'list') {
    for (const p of await c.listProviders()) out(`${p.id}\t${p.reach}\t${p.foreign ? 'foreign' : p.country}\t${p.name}\n`);
    return 0;
  }
  if (sub === 'add') {
    if (!values.file) throw new UsageError('providers add needs --file FILE (a YAML/JSON list of providers)');
    for (const p of loadProvidersFile(values.file as string)) out(`registered ${(await c.addProvider(p)).id}\n`);
    return 0;
  }
  throw new UsageError('providers: expected `providers add` or `providers list`');
}

/** A case as people read it: the hop chain with each answer. */
export function formatCase(c: Case): string {
  const lines = [`traceback ${c.id}  ${c.status}${c.detail ? ` — ${c.detail}` : ''}`, `  call ${c.call.calling} → ${c.call.called} at ${c.call.at}`];
  c.hops.forEach((h, i) => {
    const a = h.answer;
    const took = h.answeredAt !== undefined && h.attempts[0] ? `${h.answeredAt - h.attempts[0].sentAt} ms` : '';
    const named = a?.matches[0]?.upstream?.providerId ?? a?.matches[0]?.upstream?.name ?? a?.matches[0]?.customer?.account ?? '';
    lines.push(`  ${i + 1}. ${h.provider.padEnd(16)} ${(a?.result ?? h.state).padEnd(12)} ${named.padEnd(18)} ${took}`);
  });
  return `${lines.join('\n')}\n`;
}

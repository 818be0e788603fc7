#!/usr/bin/env node
/** hoptrace-hub: serves the hub, and the client commands people and scripts use against a running hub. */
import { createHash } from 'node:crypto';
import { flags, keygen, runMain, UsageError } from '../config/cli.js';
import { formatEffective, loadHubConfig } from '../config/load.js';
import { createLogger } from '../config/log.js';
import { newToken, ROLES, type Role } from './auth.js';
import { dnoCommand } from './commands/dno.js';
import { evidenceCommand, verifyCommand } from './commands/evidence.js';
import { manualCommand } from './commands/manual.js';
import { providersCommand } from './commands/providers.js';
import { reportCommand } from './commands/report.js';
import { campaignCommand, cancelCommand, showCommand, traceCommand } from './commands/trace.js';

const USAGE = `usage:
  hoptrace-hub serve [--config FILE] [--http HOST:PORT] [--redis URL] [--providers FILE]
  hoptrace-hub check [same flags]          validate the configuration and print the effective settings
  hoptrace-hub keygen [--out FILE]         make the hub's Ed25519 signing key
  hoptrace-hub token create --id ID --roles ROLE[,ROLE] [--expires ISO8601]
  hoptrace-hub trace --calling N --called N --at ISO8601 --from PROVIDER [--campaign NAME] [--wait]
  hoptrace-hub trace --campaign NAME --file CALLS.csv   (columns calling,called,at,from[,window])
  hoptrace-hub show ID | cancel ID [--reason TEXT] | campaign NAME
  hoptrace-hub providers add --file FILE | list | show ID
  hoptrace-hub dno add TARGET... [--category C] [--reason TEXT] [--source NAME] [--why TEXT]
  hoptrace-hub dno remove TARGET... [--file FILE] [--category C] [--why TEXT] [--apply-good]
  hoptrace-hub dno import FILE|- [--category C] [--reason TEXT] [--source NAME] [--why TEXT] [--apply-good]
  hoptrace-hub dno list [--target N] [--category C] [--limit N] | export [--format csv|lines] [--category C] [--out FILE]
  hoptrace-hub dno history [--limit N] [--before VERSION]
  hoptrace-hub providers update ID [--file PATCH] [--rotate-key KID:PUBLICKEY [--not-before ISO8601] [--overlap-hours H]]
  hoptrace-hub manual                      manual hops waiting for a person, with their links
  hoptrace-hub report non-responsive|time-to-complete|monthly|hops|outcomes [--campaign NAME] [--json]
  hoptrace-hub evidence ID [--out FILE]    the signed evidence bundle of a traceback
  hoptrace-hub verify BUNDLE [--hub-key PUBLICKEY]   check an evidence bundle offline (no hub needed)
client commands take --hub URL (HOPTRACE_HUB_URL) and --token TOKEN (HOPTRACE_TOKEN)`;

const [command, ...args] = process.argv.slice(2);
const out = (s: string) => process.stdout.write(s);

await runMain(USAGE, async () => {
  switch (command) {
    case 'serve': {
      const { config, warnings } = loadHubConfig({ flags: args });
      const log = createLogger('hoptrace-hub', config.log.level);
      for (const w of warnings) log.warn(w);
      // Loaded here only: client commands need none of the server's dependencies, and start faster without them.
      const { startHub } = await import('./server.js');
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
      return traceCommand(args, out);
    case 'show':
      return showCommand(args, out);
    case 'cancel':
      return cancelCommand(args, out);
    case 'campaign':
      return campaignCommand(args, out);
    case 'providers':
      return providersCommand(args, out);
    case 'dno':
      return dnoCommand(args, out);
    case 'manual':
      return manualCommand(args, out);
    case 'report':
      return reportCommand(args, out);
    case 'evidence':
      return evidenceCommand(args, out);
    case 'verify':
      return verifyCommand(args, out);
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'a command is required');
  }
});

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

#!/usr/bin/env node
/** hoptrace-hub: serves the hub, and the client commands people and scripts use against a running hub. */
import '../config/fast-strings.js'; // first: restores fast string methods after ioredis loads
import { flags, keygen, runMain, UsageError } from '../config/cli.js';
import { formatEffective, loadHubConfig } from '../config/load.js';
import { createLogger } from '../config/log.js';
import { stopOnSignals } from '../config/shutdown.js';
import { dnoCommand } from './commands/dno.js';
import { evidenceCommand, verifyCommand } from './commands/evidence.js';
import { forwardCommand, numberBlocksCommand } from './commands/forward.js';
import { manualCommand } from './commands/manual.js';
import { providersCommand } from './commands/providers.js';
import { reportCommand } from './commands/report.js';
import { deliveriesCommand, subscribersCommand } from './commands/subscribers.js';
import { tokenCommand } from './commands/token.js';
import { campaignCommand, cancelCommand, showCommand, traceCommand } from './commands/trace.js';

const USAGE = `usage:
  hoptrace-hub serve [--config FILE] [--http HOST:PORT] [--redis URL] [--providers FILE] [--stop-timeout SEC]
  hoptrace-hub check [same flags]          validate the configuration and print the effective settings
  hoptrace-hub keygen [--out FILE]         make the hub's Ed25519 signing key
  hoptrace-hub token create --id ID --roles ROLE[,ROLE] [--expires ISO8601]
  hoptrace-hub token revoke ID --file TOKENS   delete ID from the tokens file: refused from the next request on
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
  hoptrace-hub report non-responsive|time-to-complete|monthly|hops|outcomes [--campaign NAME] [--kind traceback|forward] [--json]
  hoptrace-hub evidence ID [--out FILE]    the signed evidence bundle of a traceback
  hoptrace-hub verify BUNDLE [--hub-key PUBLICKEY] [--provider-keys FILE]   check an evidence bundle offline (no hub needed)
  hoptrace-hub verify NOTIFICATION [--hub-key PUBLICKEY] [--subscriber ID]   a received referral or notice, offline
  hoptrace-hub subscribers add --file FILE | --id ID --name NAME --kind agency|provider --url URL [--provider P]
                           [--referrals] [--campaign C,..] [--outcome O,..] [--naming P] [--notices]
  hoptrace-hub subscribers list | remove ID
  hoptrace-hub deliveries list [--state pending|delivered|dead] [--subscriber ID] [--case ID] | show ID | redeliver ID | drop ID
  hoptrace-hub forward --number N [--holder PROVIDER] [--calling N --called N --at ISO8601] [--campaign NAME]
  hoptrace-hub number-blocks add PREFIX PROVIDER | list | remove PREFIX
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
      stopOnSignals({ log, stop: () => hub.stop(), timeoutSec: config.shutdown.timeoutSec });
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
      return tokenCommand(args, out);
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
    case 'subscribers':
      return subscribersCommand(args, out);
    case 'deliveries':
      return deliveriesCommand(args, out);
    case 'forward':
      return forwardCommand(args, out);
    case 'number-blocks':
      return numberBlocksCommand(args, out);
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'a command is required');
  }
});

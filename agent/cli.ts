#!/usr/bin/env node
/** hoptrace-agent: runs an agent, or checks its configuration, or makes its key. */
import '../config/fast-strings.js'; // first: restores fast string methods after ioredis loads
import { keygen, runMain, UsageError } from '../config/cli.js';
import { formatEffective, loadAgentConfig } from '../config/load.js';
import { createLogger } from '../config/log.js';
import { stopOnSignals } from '../config/shutdown.js';
import { startAgent } from './agent.js';
import { localDnoCommand } from './dno/command.js';

const USAGE = `usage:
  hoptrace-agent [run] [--config FILE] [--provider ID] [--sip udp:HOST:PORT]... [--hep udp:HOST:PORT]
                 [--http HOST:PORT] [--redis URL] [--dno-file FILE] [--cdr FORMAT:DIR]... [--ingress FILE]
                 [--hub URL] [--log-level LEVEL] [--stop-timeout SEC]
  hoptrace-agent check [same flags]      validate the configuration and print the effective settings
  hoptrace-agent keygen [--out FILE]     make this agent's Ed25519 signing key
  hoptrace-agent dno add|remove TARGET... [--category C] [--reason TEXT] | import FILE [--apply-good] | list
                 [--dno-file FILE | --config FILE]   this site's own DNO list (never sent to the hub)`;

const [first, ...rest] = process.argv.slice(2);
const command = first === undefined || first.startsWith('-') ? 'run' : first;
const args = command === first ? rest : process.argv.slice(2);

await runMain(USAGE, async () => {
  switch (command) {
    case 'keygen':
      keygen(args, (s) => process.stdout.write(s));
      return 0;
    case 'dno':
      return localDnoCommand(args, (s) => process.stdout.write(s));
    case 'check': {
      const { config, warnings, sources } = loadAgentConfig({ flags: args });
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(formatEffective(config, sources));
      return 0;
    }
    case 'run': {
      const { config, warnings } = loadAgentConfig({ flags: args });
      const log = createLogger('hoptrace-agent', config.log.level);
      for (const w of warnings) log.warn(w);
      const agent = await startAgent(config, log);
      stopOnSignals({ log, stop: () => agent.stop(), timeoutSec: config.shutdown.timeoutSec });
      return;
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
});

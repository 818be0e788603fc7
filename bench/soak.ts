/**
 * `npm run soak`: the long hardening runs of issue 8, each in its own process — the SIP/HEP fuzz over mutated
 * RFC 4475 messages (soak-fuzz.ts), the CDR tailer through a 30 s Redis outage with rotation
 * (soak-cdr-outage.ts), the policy server under sipp through a Redis kill and restart (soak-sip-outage.ts), and
 * 10,000 tracebacks through five agents while one agent is killed and the hub restarted (soak-traceback.ts).
 * `npm run soak -- fuzz` runs only those named. Each reads its own SOAK_* environment variables (see its file).
 * Figures are printed with the load average; bench/README.md records them.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';

const ALL = ['fuzz', 'cdr-outage', 'sip-outage', 'traceback'];
const picked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const run = picked.length ? picked : ALL;
const unknown = run.filter((s) => !ALL.includes(s));
if (unknown.length) {
  process.stderr.write(`unknown soak run(s): ${unknown.join(', ')}; known: ${ALL.join(', ')}\n`);
  process.exit(2);
}

process.stdout.write(`# hoptrace soak — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}\n`);
let failed = 0;
for (const name of run) {
  process.stdout.write(`\n## ${name} (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, `soak-${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(${name} exited ${r.status ?? r.signal})\n`);
  }
}
process.exit(failed ? 1 : 0);

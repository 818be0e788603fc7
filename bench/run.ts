/**
 * `npm run bench`: every benchmark in turn, each in its own process so one's heap and sockets cannot skew the
 * next. `npm run bench -- sip-policy dno` runs only those. Figures are printed; bench/README.md records them
 * with the date and the machine.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';

const ALL = ['dno', 'sip-parse', 'sip-policy', 'hep', 'cdr-parse', 'cdr-ingest', 'call-index', 'dno-sync', 'traceback', 'notify'];
const picked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const run = picked.length ? picked : ALL;
const unknown = run.filter((b) => !ALL.includes(b));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${ALL.join(', ')}\n`);
  process.exit(2);
}

process.stdout.write(`# hoptrace benchmarks — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}\n`);
let failed = 0;
for (const name of run) {
  process.stdout.write(`\n## ${name} (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, `${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(${name} exited ${r.status ?? r.signal})\n`);
  }
}
process.exit(failed ? 1 : 0);

/**
 * Soak: 10,000 tracebacks through a hub and five agents (real processes, each with its own redis-server) while
 * the middle agent is SIGKILLed for 10 s and the hub is SIGKILLed and restarted (issue 8; the run itself is
 * test/hardening/traceback-soak.ts). Every case must end exactly once with its seeded outcome.
 *
 *   npx tsx bench/soak-traceback.ts      SOAK_TRACEBACKS=10000 SOAK_TRACEBACK_BATCH=250 SOAK_TRACEBACK_IN_FLIGHT=1000
 *                                        SOAK_TRACEBACK_AGENT_DOWN_SEC=10 SOAK_TRACEBACK_AGENT_SEC=20 SOAK_TRACEBACK_RETRIES=3
 *
 * Prints the cases by outcome, the mismatches, hops retried through the outages, wall time, throughput and the
 * load average; exits 1 on any mismatch.
 */
import { loadavg } from 'node:os';
import { runTracebackSoak } from '../test/hardening/traceback-soak.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const opts = {
  tracebacks: num('SOAK_TRACEBACKS', 10_000),
  batch: num('SOAK_TRACEBACK_BATCH', 250),
  inFlight: num('SOAK_TRACEBACK_IN_FLIGHT', 1000),
  agentDownSec: num('SOAK_TRACEBACK_AGENT_DOWN_SEC', 10),
  agentSec: num('SOAK_TRACEBACK_AGENT_SEC', 20),
  agentRetries: num('SOAK_TRACEBACK_RETRIES', 3),
  say: (line: string) => console.log(line),
};

console.log(
  `traceback soak: ${opts.tracebacks} tracebacks (5-hop chain, campaigns of ${opts.batch}, ≤ ${opts.inFlight} open), agent p3 down ${opts.agentDownSec} s, hub restarted; hop deadline ${opts.agentSec} s × ${opts.agentRetries + 1} tries; load ${load()}`,
);
const r = await runTracebackSoak(opts);
const outcomes = Object.entries(r.byOutcome).map(([k, v]) => `${k} ${v}`).join(', ');
console.log(`  ${r.started} started, by outcome: ${outcomes}; hops retried through the outages: ${r.retriedHops}`);
console.log(`  ${r.seconds.toFixed(1)} s wall, ${(r.started / r.seconds).toFixed(1)} tracebacks/s; load ${load()}`);
// The machine may be shared: CPU time per traceback says what the code costs, whatever else runs.
const perTraceback = (s: number) => ((s * 1000) / r.started).toFixed(2);
console.log(`  CPU: hub ${r.cpu.hub.toFixed(1)} s (${perTraceback(r.cpu.hub)} ms per traceback), five agents ${r.cpu.agents.toFixed(1)} s (${perTraceback(r.cpu.agents)} ms per traceback)`);
for (const m of r.mismatches.slice(0, 20)) console.log(`  MISMATCH ${m}`);
if (r.mismatches.length > 20) console.log(`  … ${r.mismatches.length - 20} more`);
console.log(r.mismatches.length ? `FAIL: ${r.mismatches.length} mismatches` : 'OK: every case ended once with its expected outcome');
process.exit(r.mismatches.length ? 1 : 0);

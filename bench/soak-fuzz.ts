/**
 * The long fuzz run of the SIP answer path and the HEP decoder over mutated RFC 4475 messages
 * (test/hardening/sip-fuzz.ts; CI runs 2,000). `SOAK_FUZZ_ITERATIONS` (default 200,000), `SOAK_FUZZ_SEED`.
 * Exits 1 on the first failures, printing each with its iteration so it reproduces from the seed.
 */
import { loadavg } from 'node:os';
import { fuzz, loadCorpus, RFC4475_DIR } from '../test/hardening/sip-fuzz.js';

const iterations = Number(process.env.SOAK_FUZZ_ITERATIONS ?? 200_000);
const seed = Number(process.env.SOAK_FUZZ_SEED ?? Date.now() % 2 ** 31);
const corpus = loadCorpus();
process.stdout.write(`fuzz: ${iterations} mutated messages from ${corpus.length} in ${RFC4475_DIR}, seed ${seed}\n`);
const report = fuzz(corpus, iterations, seed);
const { outcomes: o, slowest } = report;
process.stdout.write(
  `fuzz: ${report.failures.length} failures; SIP answered ${o.answered}, silent ${o.silent}; HEP decoded ${o.hepDecoded}, refused ${o.hepRefused}\n` +
    `fuzz: CPU ${(report.cpuMs / 1000).toFixed(1)} s (${((report.cpuMs * 1000) / iterations).toFixed(0)} µs per input, SIP ×2 + HEP); ` +
    `slowest input ${slowest.ms.toFixed(1)} ms (${slowest.bytes} bytes, iteration ${slowest.iteration}); load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
);
for (const f of report.failures) process.stdout.write(`FAIL iteration ${f.iteration}: ${f.what}\n  input: ${JSON.stringify(f.input)}\n`);
process.exit(report.failures.length ? 1 : 0);

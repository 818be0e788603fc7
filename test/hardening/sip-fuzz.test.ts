/**
 * CI's short fuzz run of the SIP answer path and the HEP decoder over mutated RFC 4475 messages (sip-fuzz.ts);
 * `npm run soak` runs the same for far longer (SOAK_FUZZ_ITERATIONS). Seeded: a failure names its iteration.
 */
import { describe, expect, it } from 'vitest';
import { prng } from '../helpers/prng.js';
import { fuzz, loadCorpus, mutate } from './sip-fuzz.js';

const ITERATIONS = 2_000;

describe('fuzzing the SIP parser and the HEP decoder with mutated RFC 4475 messages', () => {
  const corpus = loadCorpus();

  it('reads the whole torture corpus', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
  });

  it('mutates reproducibly from a seed', () => {
    const a = prng(42);
    const b = prng(42);
    expect(mutate(corpus[0]!, corpus[1]!, a).equals(mutate(corpus[0]!, corpus[1]!, b))).toBe(true);
  });

  it(`survives ${ITERATIONS} mutated messages: no exception, no swallowed parser fault, no slow input`, () => {
    const report = fuzz(corpus, ITERATIONS, 20_261_128);
    expect(report.failures).toEqual([]);
    // Both sides of each decision were reached, so the run tested the parser rather than one early exit.
    expect(report.outcomes.answered).toBeGreaterThan(ITERATIONS / 4);
    expect(report.outcomes.silent).toBeGreaterThan(ITERATIONS / 20);
    expect(report.outcomes.hepDecoded).toBeGreaterThan(ITERATIONS / 10);
    expect(report.outcomes.hepRefused).toBeGreaterThan(ITERATIONS / 10);
  });
});

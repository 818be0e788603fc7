/**
 * The CI-sized traceback soak (the 10,000 run is `npm run soak -- traceback`): 300 tracebacks through a hub and
 * five agents as real processes, the middle agent SIGKILLed for 4 s and the hub SIGKILLed and restarted mid-run.
 * And the check itself: it must flag a wrong outcome, a lost case, and a case ended twice.
 */
import { describe, expect, it } from 'vitest';
import type { Case, Hop } from '../../hub/case.js';
import { check, fateOf, runTracebackSoak } from './traceback-soak.js';

describe('tracebacks through an agent kill and a hub restart', () => {
  it('ends all 300 cases once each with their seeded outcome and path', async () => {
    const r = await runTracebackSoak({ tracebacks: 300, batch: 50, inFlight: 300, agentDownSec: 4, agentSec: 8, agentRetries: 3, say: () => undefined });
    expect(r.mismatches).toEqual([]);
    expect(r.started).toBe(300);
    expect(r.byOutcome).toEqual({ originated: 100, foreign: 100, not_found: 100 });
  }, 150_000);
});

describe('the soak check', () => {
  const hop = (provider: string): Hop => ({ provider, askedBy: null, mode: 'agent', state: 'answered', attempts: [], answerJws: 'jws' }) as unknown as Hop;
  /** Case `id` for call n, ended as seeded. */
  const asSeeded = (id: string, n: number): Case => ({ id, status: fateOf(n).outcome, hops: fateOf(n).path.map(hop) }) as unknown as Case;
  const ended = (id: string) => JSON.stringify({ msg: 'traceback ended', caseId: id });

  it('passes cases ended as seeded', () => {
    expect(check(['a', 'b', 'c'], [asSeeded('a', 0), asSeeded('b', 1), asSeeded('c', 2)], [ended('a'), ended('b'), ended('c')]).mismatches).toEqual([]);
  });

  it('flags a wrong outcome, a lost case, a case ended twice and one still open', () => {
    const wrong = { ...asSeeded('a', 0), status: 'non_responsive', detail: 'soak-p3 did not answer' } as Case;
    const open = { ...asSeeded('c', 2), status: 'open' } as Case;
    const { mismatches } = check(['a', 'b', 'c', 'd'], [wrong, asSeeded('b', 1), open, asSeeded('d', 3)], [ended('b'), ended('b'), 'cut {"msg":"traceback ended"']);
    expect(mismatches).toEqual([
      'a (call 0): ended non_responsive (soak-p3 did not answer), expected originated',
      'b (call 1): ended 2 times in the hub logs',
      'c (call 2): still open',
    ]);
    expect(check(['a', 'b'], [asSeeded('a', 0)], []).mismatches).toEqual(['b (call 1): started but not in the hub store']);
  });
});

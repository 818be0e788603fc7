/** The engine's trace forward (hub/engine.ts startForward): every hop asked of people, a "not ours" final. */
import { describe, expect, it } from 'vitest';
import type { Case } from '../../hub/case.js';
import { applyAnswer, applyTimeout, defaultEngineConfig, type EngineContext, type ProviderView, startForward } from '../../hub/engine.js';
import type { HopAnswer, HopResult } from '../../proto/messages.js';

const T0 = Date.parse('2026-11-28T12:00:00Z');
const providers = new Map<string, ProviderView>([
  ['voiptel', { id: 'voiptel', reach: 'agent-pull', foreign: false, hasContacts: true }],
  ['porttel', { id: 'porttel', reach: 'agent-push', foreign: false, hasContacts: false }],
  ['abroad', { id: 'abroad', reach: 'manual', foreign: true, hasContacts: false }],
]);
const ctx = (now = T0): EngineContext => ({ now, cfg: { ...defaultEngineConfig, manualDeadlineMs: 3_600_000 }, newQueryId: () => `q${now}`, provider: (id) => providers.get(id), bySigner: () => undefined });
const start = { number: '+13125550199', holder: 'voiptel', call: { calling: '+18005550100', called: '+12025550143', at: '2026-11-28T11:59:00Z' } };

function answer(c: Case, result: HopResult, upstream?: string): HopAnswer {
  const hop = c.hops.at(-1)!;
  const m = { at: c.call.at, calling: c.call.calling, called: c.call.called, source: 'cdr:manual', ingress: {} };
  return {
    queryId: hop.attempts.at(-1)!.queryId,
    tracebackId: c.id,
    provider: hop.provider,
    result,
    matches: upstream ? [{ ...m, upstream: { providerId: upstream, name: upstream } }] : result === 'originated' ? [{ ...m, customer: { account: 'C-1' } }] : [],
    answeredAt: new Date(T0).toISOString(),
    agentVersion: 'manual',
  };
}
const signed = { jws: 'x.y.z', keys: [] };

describe('trace forward in the engine', () => {
  it('asks the holder by hand even when it has an agent, with the manual deadline', () => {
    const s = startForward('f1', start, 'ops', ctx());
    expect(s.case).toMatchObject({ forward: { number: '+13125550199' }, status: 'open', hops: [{ provider: 'voiptel', mode: 'manual', askedBy: null }] });
    expect(s.effects).toEqual([
      { type: 'set-deadline', at: T0 + 3_600_000 },
      { type: 'send-query', provider: 'voiptel', mode: 'manual', query: expect.objectContaining({ tracebackId: 'f1', deadline: new Date(T0 + 3_600_000).toISOString() }) },
    ]);
  });

  it('follows a port to the next holder, again by hand, and ends at the customer', () => {
    const s1 = startForward('f1', start, 'ops', ctx());
    const s2 = applyAnswer(s1.case, answer(s1.case, 'upstream', 'porttel'), signed, ctx(T0 + 1000));
    expect(s2.case.hops.map((h) => [h.provider, h.mode, h.askedBy])).toEqual([
      ['voiptel', 'manual', null],
      ['porttel', 'manual', 'voiptel'],
    ]);
    const s3 = applyAnswer(s2.case, answer(s2.case, 'originated'), signed, ctx(T0 + 2000));
    expect(s3.case).toMatchObject({ status: 'originated', originator: 'porttel' });
  });

  it('takes a "not ours" as final (no wider retry), and a silent holder as non-responsive at its deadline', () => {
    const s1 = startForward('f1', start, 'ops', ctx());
    expect(applyAnswer(s1.case, answer(s1.case, 'not_found'), signed, ctx()).case.status).toBe('not_found');
    const late = applyTimeout(s1.case, ctx(T0 + 3_600_000));
    expect(late.case).toMatchObject({ status: 'non_responsive', hops: [{ state: 'unanswered' }] });
  });

  it('ends foreign when the number is held abroad', () => {
    const s1 = startForward('f1', start, 'ops', ctx());
    expect(applyAnswer(s1.case, answer(s1.case, 'upstream', 'abroad'), signed, ctx()).case).toMatchObject({ status: 'foreign', pointOfEntry: 'voiptel' });
  });
});

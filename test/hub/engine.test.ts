import { describe, expect, it } from 'vitest';
import type { Case } from '../../hub/case.js';
import {
  applyAnswer,
  applyTimeout,
  cancelCase,
  defaultEngineConfig,
  type EngineContext,
  EngineRejection,
  pendingDeadline,
  type ProviderView,
  startCase,
  type Step,
} from '../../hub/engine.js';
import type { HopAnswer, HopResult } from '../../proto/messages.js';

const T0 = Date.parse('2026-11-28T12:00:00Z');

function world(providers: Partial<ProviderView>[]) {
  const map = new Map(providers.map((p) => [p.id!, { reach: 'agent-pull', foreign: false, hasContacts: false, ...p } as ProviderView]));
  let n = 0;
  let now = T0;
  const ctx = (): EngineContext => ({
    now,
    cfg: { ...defaultEngineConfig, agentDeadlineMs: 1000, agentRetries: 1 },
    newQueryId: () => `q${++n}`,
    provider: (id) => map.get(id),
  });
  return { ctx, advance: (ms: number) => (now += ms) };
}

const input = { call: { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:00Z' }, firstProvider: 'term' };

function answer(c: Case, result: HopResult, upstream?: string, extra: Partial<HopAnswer> = {}): HopAnswer {
  const hop = c.hops.at(-1)!;
  return {
    queryId: hop.attempts.at(-1)!.queryId,
    tracebackId: c.id,
    provider: hop.provider,
    result,
    matches: upstream
      ? [{ at: c.call.at, calling: c.call.calling, called: c.call.called, source: 'sip', ingress: { ip: '192.0.2.1' }, upstream: { providerId: upstream, name: upstream } }]
      : [],
    answeredAt: new Date(T0).toISOString(),
    agentVersion: 'test',
    ...extra,
  };
}

function queries(s: Step) {
  return s.effects.flatMap((e) => (e.type === 'send-query' ? [e] : []));
}

describe('traceback engine', () => {
  it('starts by asking the terminating provider with the default ±120 s window and a deadline', () => {
    const { ctx } = world([{ id: 'term' }]);
    const s = startCase('c1', input, 'ops', ctx());
    expect(s.case.status).toBe('open');
    expect(s.case.hops).toHaveLength(1);
    const [q] = queries(s);
    expect(q?.provider).toBe('term');
    expect(q?.query.call.windowSec).toBe(120);
    expect(q?.query.askedBy).toBeNull();
    expect(s.effects).toContainEqual({ type: 'set-deadline', at: T0 + 1000 });
    expect(pendingDeadline(s.case)).toBe(T0 + 1000);
  });

  it('follows upstream answers hop by hop and ends originated at the provider whose customer placed the call', () => {
    const { ctx } = world([{ id: 'term' }, { id: 'transit' }, { id: 'orig' }]);
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'transit'), 'jws1', ctx());
    expect(queries(s)[0]?.query.askedBy).toBe('term');
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'orig'), 'jws2', ctx());
    s = applyAnswer(s.case, answer(s.case, 'originated'), 'jws3', ctx());
    expect(s.case.status).toBe('originated');
    expect(s.case.originator).toBe('orig');
    expect(s.case.hops.map((h) => [h.provider, h.answerJws])).toEqual([
      ['term', 'jws1'],
      ['transit', 'jws2'],
      ['orig', 'jws3'],
    ]);
    expect(s.effects).toEqual([{ type: 'clear-deadline' }, { type: 'ended', outcome: 'originated' }]);
  });

  it('ends foreign with the answering provider as point of entry, whether it says foreign or names a foreign upstream', () => {
    const { ctx } = world([{ id: 'term' }, { id: 'gw' }, { id: 'abroad', foreign: true }]);
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'gw'), 'j', ctx());
    const saysForeign = applyAnswer(s.case, answer(s.case, 'foreign'), 'j', ctx());
    expect([saysForeign.case.status, saysForeign.case.pointOfEntry]).toEqual(['foreign', 'gw']);
    const namesForeign = applyAnswer(s.case, answer(s.case, 'upstream', 'abroad'), 'j', ctx());
    expect([namesForeign.case.status, namesForeign.case.pointOfEntry]).toEqual(['foreign', 'gw']);
  });

  it('ends in a loop when a provider names one already in the chain', () => {
    const { ctx } = world([{ id: 'term' }, { id: 'a' }]);
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'a'), 'j', ctx());
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'term'), 'j', ctx());
    expect(s.case.status).toBe('loop');
    expect(s.case.detail).toContain('already in the chain');
  });

  it('retries not_found once with the widened window, then ends not_found', () => {
    const { ctx } = world([{ id: 'term' }]);
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, answer(s.case, 'not_found'), 'j', ctx());
    expect(s.case.status).toBe('open');
    expect(queries(s)[0]?.query.call.windowSec).toBe(600);
    s = applyAnswer(s.case, answer(s.case, 'not_found'), 'j', ctx());
    expect(s.case.status).toBe('not_found');
    expect(s.case.detail).toContain('±600 s');
  });

  it('retries a silent agent with a doubled deadline, then ends non_responsive when nobody can be asked', () => {
    const { ctx, advance } = world([{ id: 'term' }]);
    let s = startCase('c1', input, 'ops', ctx());
    advance(1000);
    s = applyTimeout(s.case, ctx());
    expect(s.case.hops[0]?.attempts).toHaveLength(2);
    expect(s.effects).toContainEqual({ type: 'set-deadline', at: T0 + 1000 + 2000 });
    advance(2000);
    s = applyTimeout(s.case, ctx());
    expect(s.case.status).toBe('non_responsive');
    expect(s.case.hops[0]?.state).toBe('unanswered');
  });

  it('falls back to a manual hop with a 24 h deadline when the silent provider has contacts', () => {
    const { ctx, advance } = world([{ id: 'term', hasContacts: true }]);
    let s = startCase('c1', input, 'ops', ctx());
    advance(1000);
    s = applyTimeout(s.case, ctx());
    advance(2000);
    s = applyTimeout(s.case, ctx());
    expect(s.case.status).toBe('open');
    expect(s.case.hops[0]?.mode).toBe('manual');
    expect(queries(s)[0]?.mode).toBe('manual');
    expect(pendingDeadline(s.case)).toBe(T0 + 3000 + 24 * 3_600_000);
  });

  it('ignores a timeout that fires before the deadline (re-arms it) and treats unavailable like silence', () => {
    const { ctx } = world([{ id: 'term' }]);
    const s = startCase('c1', input, 'ops', ctx());
    const early = applyTimeout(s.case, ctx());
    expect(early.case).toBe(s.case);
    expect(early.effects).toEqual([{ type: 'set-deadline', at: T0 + 1000 }]);
    const unavailable = applyAnswer(s.case, answer(s.case, 'unavailable'), 'j', ctx());
    expect(unavailable.case.status).toBe('open');
    expect(unavailable.case.hops[0]?.attempts).toHaveLength(2);
  });

  it('refuses answers for another attempt or from another provider and leaves the case unchanged', () => {
    const { ctx } = world([{ id: 'term' }]);
    const s = startCase('c1', input, 'ops', ctx());
    const before = structuredClone(s.case);
    expect(() => applyAnswer(s.case, answer(s.case, 'originated', undefined, { queryId: 'other' }), 'j', ctx())).toThrow(EngineRejection);
    expect(() => applyAnswer(s.case, answer(s.case, 'originated', undefined, { provider: 'mallory' }), 'j', ctx())).toThrow(/mallory/);
    expect(s.case).toEqual(before);
  });

  it('ends non_responsive when the named upstream is not registered, and cancels on request', () => {
    const { ctx } = world([{ id: 'term' }]);
    const s = startCase('c1', input, 'ops', ctx());
    const unknown = applyAnswer(s.case, answer(s.case, 'upstream', 'ghost'), 'j', ctx());
    expect(unknown.case.status).toBe('non_responsive');
    expect(unknown.case.detail).toContain('not a registered provider');
    const cancelled = cancelCase(s.case, 'opened by mistake', ctx());
    expect(cancelled.case.status).toBe('cancelled');
    expect(() => cancelCase(cancelled.case, 'again', ctx())).toThrow(EngineRejection);
  });
});

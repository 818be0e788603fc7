import { describe, expect, it } from 'vitest';
import type { Case, SignedAnswer } from '../../hub/case.js';
import {
  applyAnswer,
  applyTimeout,
  cancelCase,
  defaultEngineConfig,
  type EngineConfig,
  type EngineContext,
  EngineRejection,
  pendingDeadline,
  type ProviderView,
  startCase,
  type Step,
} from '../../hub/engine.js';
import type { HopAnswer, HopResult } from '../../proto/messages.js';

const T0 = Date.parse('2026-11-28T12:00:00Z');

/** Providers by id; `signers` maps a SHAKEN signer (SPC/OCN) to a provider id; `cfg` overrides the engine settings. */
function world(providers: Partial<ProviderView>[], opts: { signers?: Record<string, string>; cfg?: Partial<EngineConfig>; at?: number } = {}) {
  const map = new Map(providers.map((p) => [p.id!, { reach: 'agent-pull', foreign: false, hasContacts: false, ...p } as ProviderView]));
  let n = 0;
  let now = opts.at ?? T0;
  const ctx = (): EngineContext => ({
    now,
    cfg: { ...defaultEngineConfig, agentDeadlineMs: 1000, agentRetries: 1, ...opts.cfg },
    newQueryId: () => `q${++n}`,
    provider: (id) => map.get(id),
    bySigner: (signer) => map.get(opts.signers?.[signer] ?? ''),
  });
  return { ctx, advance: (ms: number) => (now += ms), now: () => now };
}

const KEY = { kid: 'k1', publicKey: 'A'.repeat(43) };
function signed(jws: string): SignedAnswer {
  return { jws, keys: [KEY] };
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
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'transit'), signed('jws1'), ctx());
    expect(queries(s)[0]?.query.askedBy).toBe('term');
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'orig'), signed('jws2'), ctx());
    s = applyAnswer(s.case, answer(s.case, 'originated'), signed('jws3'), ctx());
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
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'gw'), signed('j'), ctx());
    const saysForeign = applyAnswer(s.case, answer(s.case, 'foreign'), signed('j'), ctx());
    expect([saysForeign.case.status, saysForeign.case.pointOfEntry]).toEqual(['foreign', 'gw']);
    const namesForeign = applyAnswer(s.case, answer(s.case, 'upstream', 'abroad'), signed('j'), ctx());
    expect([namesForeign.case.status, namesForeign.case.pointOfEntry]).toEqual(['foreign', 'gw']);
  });

  it('ends in a loop when a provider names one already in the chain', () => {
    const { ctx } = world([{ id: 'term' }, { id: 'a' }]);
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'a'), signed('j'), ctx());
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'term'), signed('j'), ctx());
    expect(s.case.status).toBe('loop');
    expect(s.case.detail).toContain('already in the chain');
  });

  it('retries not_found once with the widened window, then ends not_found', () => {
    const { ctx } = world([{ id: 'term' }]);
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, answer(s.case, 'not_found'), signed('j'), ctx());
    expect(s.case.status).toBe('open');
    expect(queries(s)[0]?.query.call.windowSec).toBe(600);
    s = applyAnswer(s.case, answer(s.case, 'not_found'), signed('j'), ctx());
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
    const unavailable = applyAnswer(s.case, answer(s.case, 'unavailable'), signed('j'), ctx());
    expect(unavailable.case.status).toBe('open');
    expect(unavailable.case.hops[0]?.attempts).toHaveLength(2);
  });

  it('refuses answers for another attempt or from another provider and leaves the case unchanged', () => {
    const { ctx } = world([{ id: 'term' }]);
    const s = startCase('c1', input, 'ops', ctx());
    const before = structuredClone(s.case);
    expect(() => applyAnswer(s.case, answer(s.case, 'originated', undefined, { queryId: 'other' }), signed('j'), ctx())).toThrow(EngineRejection);
    expect(() => applyAnswer(s.case, answer(s.case, 'originated', undefined, { provider: 'mallory' }), signed('j'), ctx())).toThrow(/mallory/);
    expect(s.case).toEqual(before);
  });

  it('ends non_responsive when the named upstream is not registered, and cancels on request', () => {
    const { ctx } = world([{ id: 'term' }]);
    const s = startCase('c1', input, 'ops', ctx());
    const unknown = applyAnswer(s.case, answer(s.case, 'upstream', 'ghost'), signed('j'), ctx());
    expect(unknown.case.status).toBe('non_responsive');
    expect(unknown.case.detail).toContain('not a registered provider');
    const cancelled = cancelCase(s.case, 'opened by mistake', ctx());
    expect(cancelled.case.status).toBe('cancelled');
    expect(() => cancelCase(cancelled.case, 'again', ctx())).toThrow(EngineRejection);
  });

  it('records the keys that verified each answer, who answered a manual hop, and when the case ended', () => {
    const { ctx, advance } = world([{ id: 'term' }]);
    let s = startCase('c1', input, 'ops', ctx());
    advance(250);
    s = applyAnswer(s.case, answer(s.case, 'originated'), { jws: 'j1', keys: [KEY], answeredBy: { name: 'Pat Noc' } }, ctx());
    expect(s.case.hops[0]).toMatchObject({ answerJws: 'j1', answerKeys: [KEY], answeredBy: { name: 'Pat Noc' }, answeredAt: T0 + 250 });
    expect(s.case.endedAt).toBe(T0 + 250);
  });

  it('ends non_responsive when a provider declines, quoting its reason', () => {
    const { ctx } = world([{ id: 'term' }]);
    const s = startCase('c1', input, 'ops', ctx());
    const declined = applyAnswer(s.case, answer(s.case, 'declined', undefined, { reason: 'subpoena required' }), signed('j'), ctx());
    expect([declined.case.status, declined.case.detail]).toEqual(['non_responsive', 'term declined to answer: subpoena required']);
  });

  it('treats a chain longer than maxHops as a loop', () => {
    const ids = ['term', 'p1', 'p2', 'p3'];
    const { ctx } = world(ids.map((id) => ({ id })), { cfg: { maxHops: 3 } });
    let s = startCase('c1', input, 'ops', ctx());
    for (const next of ids.slice(1)) s = applyAnswer(s.case, answer(s.case, 'upstream', next), signed('j'), ctx());
    expect([s.case.status, s.case.hops.length, s.case.detail]).toEqual(['loop', 3, 'more than 3 hops']);
  });

  it('widens a not_found once per hop, after timeout retries too, and doubles a window already wider than the default', () => {
    const { ctx, advance } = world([{ id: 'term' }]);
    let s = startCase('c1', input, 'ops', ctx());
    advance(1000);
    s = applyTimeout(s.case, ctx());
    s = applyAnswer(s.case, answer(s.case, 'not_found'), signed('j'), ctx());
    expect(s.case.hops[0]?.attempts.map((a) => a.windowSec)).toEqual([120, 120, 600]);
    s = applyAnswer(s.case, answer(s.case, 'not_found'), signed('j'), ctx());
    expect(s.case.status).toBe('not_found');

    const wide = startCase('c2', { ...input, windowSec: 900 }, 'ops', ctx());
    const again = applyAnswer(wide.case, answer(wide.case, 'not_found'), signed('j'), ctx());
    expect(again.case.hops[0]?.attempts.map((a) => a.windowSec)).toEqual([900, 1800]);
  });

  it('counts a manual fallback asked on a Friday evening as received Monday 08:00 under the business-hours rule', () => {
    const friday6pm = Date.parse('2026-11-27T23:00:00Z'); // 18:00 in New York
    const { ctx, advance, now } = world([{ id: 'term', hasContacts: true }], { cfg: { businessHoursZone: 'America/New_York' }, at: friday6pm - 3000 });
    let s = startCase('c1', input, 'ops', ctx());
    advance(1000);
    s = applyTimeout(s.case, ctx());
    advance(2000);
    expect(now()).toBe(friday6pm);
    s = applyTimeout(s.case, ctx());
    expect(s.case.hops[0]?.mode).toBe('manual');
    expect(pendingDeadline(s.case)).toBe(Date.parse('2026-11-30T13:00:00Z') + 24 * 3_600_000);
  });
});

describe('SHAKEN shortcut', () => {
  /** An upstream answer whose best match carried a STIR/SHAKEN identity. */
  function attested(c: Case, upstream: string, identity: { attest: 'A' | 'B' | 'C'; signer?: string; verified: boolean }): HopAnswer {
    const a = answer(c, 'upstream', upstream);
    a.matches = a.matches.map((m) => ({ ...m, identity }));
    return a;
  }
  const providers = [{ id: 'term' }, { id: 'transit' }, { id: 'orig' }, { id: 'other' }];

  it('asks the verified A signer directly beside the chain, records its answer, and says the path agrees when the chain reaches it', () => {
    const { ctx } = world(providers, { signers: { '123A': 'orig' } });
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, attested(s.case, 'transit', { attest: 'A', signer: '123A', verified: true }), signed('j1'), ctx());
    const [chain, side] = queries(s);
    expect(chain?.provider).toBe('transit');
    expect([side?.provider, side?.mode, side?.query.askedBy]).toEqual(['orig', 'agent', null]);
    expect(s.case.shaken).toMatchObject({ signer: '123A', provider: 'orig', attest: 'A', fromHop: 0, query: { queryId: side?.query.queryId } });
    expect(s.case.hops.map((h) => h.provider)).toEqual(['term', 'transit']);

    const sideAnswer: HopAnswer = { ...answer(s.case, 'originated'), queryId: side!.query.queryId, provider: 'orig' };
    const before = s.case.hops;
    s = applyAnswer(s.case, sideAnswer, signed('j-side'), ctx());
    expect(s.effects).toEqual([]);
    expect(s.case.hops).toEqual(before);
    expect(s.case.shaken).toMatchObject({ answer: { result: 'originated' }, answerJws: 'j-side' });
    expect(s.case.shaken?.path).toBeUndefined();

    s = applyAnswer(s.case, answer(s.case, 'upstream', 'orig'), signed('j2'), ctx());
    expect(s.case.shaken?.path).toBe('agrees');
    s = applyAnswer(s.case, answer(s.case, 'originated'), signed('j3'), ctx());
    expect([s.case.status, s.case.shaken?.path]).toEqual(['originated', 'agrees']);
  });

  it('says the path disagrees when the chain ends at an origin without passing the signer', () => {
    const { ctx } = world(providers, { signers: { '123A': 'orig' } });
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, attested(s.case, 'transit', { attest: 'B', signer: '123A', verified: true }), signed('j'), ctx());
    s = applyAnswer(s.case, answer(s.case, 'upstream', 'other'), signed('j'), ctx());
    s = applyAnswer(s.case, answer(s.case, 'originated'), signed('j'), ctx());
    expect([s.case.status, s.case.originator, s.case.shaken?.path]).toEqual(['originated', 'other', 'disagrees']);
  });

  it('leaves the path undecided when the chain dies before reaching anyone', () => {
    const { ctx } = world(providers, { signers: { '123A': 'orig' } });
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, attested(s.case, 'transit', { attest: 'A', signer: '123A', verified: true }), signed('j'), ctx());
    s = applyAnswer(s.case, answer(s.case, 'declined'), signed('j'), ctx());
    expect([s.case.status, s.case.shaken?.path]).toEqual(['non_responsive', undefined]);
  });

  it('sends no side query when the signer is the upstream named next, and then agrees', () => {
    const { ctx } = world(providers, { signers: { '123A': 'transit' } });
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, attested(s.case, 'transit', { attest: 'A', signer: '123A', verified: true }), signed('j'), ctx());
    expect(queries(s).map((q) => q.provider)).toEqual(['transit']);
    expect(s.case.shaken).toMatchObject({ provider: 'transit', path: 'agrees' });
    expect(s.case.shaken?.query).toBeUndefined();
  });

  it.each([
    ['a C attestation', { attest: 'C' as const, signer: '123A', verified: true }],
    ['an unverified attestation', { attest: 'A' as const, signer: '123A', verified: false }],
    ['a signer that is not registered', { attest: 'A' as const, signer: '999Z', verified: true }],
    ['an attestation without a signer', { attest: 'A' as const, verified: true }],
  ])('takes no shortcut for %s', (_name, identity) => {
    const { ctx } = world(providers, { signers: { '123A': 'orig' } });
    const s0 = startCase('c1', input, 'ops', ctx());
    const s = applyAnswer(s0.case, attested(s0.case, 'transit', identity), signed('j'), ctx());
    expect(s.case.shaken).toBeUndefined();
    expect(queries(s).map((q) => q.provider)).toEqual(['transit']);
  });

  it('refuses a side answer from another provider or a second one, and records a late one after the case ended', () => {
    const { ctx } = world(providers, { signers: { '123A': 'orig' } });
    let s = startCase('c1', input, 'ops', ctx());
    s = applyAnswer(s.case, attested(s.case, 'transit', { attest: 'A', signer: '123A', verified: true }), signed('j'), ctx());
    const sideId = s.case.shaken!.query!.queryId;
    s = applyAnswer(s.case, answer(s.case, 'foreign'), signed('j'), ctx());
    expect(s.case.status).toBe('foreign');
    const side: HopAnswer = { ...answer(s.case, 'originated'), queryId: sideId, provider: 'orig' };
    expect(() => applyAnswer(s.case, { ...side, provider: 'other' }, signed('j'), ctx())).toThrow(/answer from other, but orig was asked/);
    const late = applyAnswer(s.case, side, signed('j-late'), ctx());
    expect([late.case.status, late.case.shaken?.answerJws]).toEqual(['foreign', 'j-late']);
    expect(() => applyAnswer(late.case, side, signed('j'), ctx())).toThrow(/already answered/);
  });

  it('never changes the version it is given: every transition returns a new one (versions share what none changes)', () => {
    const { ctx, advance } = world([...providers, { id: 'silent', hasContacts: true }], { signers: { '123A': 'orig' } });
    const versions: Case[] = [];
    const copies: Case[] = [];
    const step = (s: Step) => (versions.push(s.case), copies.push(structuredClone(s.case)), s);
    let s = step(startCase('c1', input, 'ops', ctx()));
    s = step(applyAnswer(s.case, attested(s.case, 'transit', { attest: 'A', signer: '123A', verified: true }), signed('j1'), ctx()));
    const sideId = s.case.shaken!.query!.queryId;
    s = step(applyAnswer(s.case, answer(s.case, 'unavailable'), signed('j2'), ctx()));
    s = step(applyAnswer(s.case, answer(s.case, 'upstream', 'silent'), signed('j3'), ctx()));
    advance(10_000);
    s = step(applyTimeout(s.case, ctx()));
    advance(10_000);
    s = step(applyTimeout(s.case, ctx()));
    expect(s.case.hops.at(-1)?.mode).toBe('manual');
    s = step(applyAnswer(s.case, { ...answer(s.case, 'originated'), queryId: sideId, provider: 'orig' }, signed('j-side'), ctx()));
    step(cancelCase(s.case, 'test over', ctx()));
    expect(versions).toEqual(copies);
    expect(new Set(versions).size).toBe(versions.length);
  });
});

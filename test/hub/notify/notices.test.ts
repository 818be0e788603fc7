import { describe, expect, it } from 'vitest';
import type { Case } from '../../../hub/case.js';
import { manualHopNotice, providerNotices, TRACEBACK_QUESTION } from '../../../hub/notify/notices.js';
import { referralSummary } from '../../../hub/notify/referral.js';
import { tracedCase } from '../traced-case.js';

const base = (status: Case['status'], over: Partial<Case> = {}): Case => ({ ...tracedCase({ id: 'c1', chain: ['term', 'mid', 'last'], status, createdAt: '2026-11-28T10:00:00Z', tookMs: 4000 }), ...over });

describe('provider notices of an ended case', () => {
  it.each([
    ['originated', base('originated', { originator: 'last' }), [['last', 'originator']]],
    ['foreign', base('foreign', { pointOfEntry: 'last' }), [['last', 'point-of-entry']]],
    ['non_responsive (silent)', base('non_responsive'), [['last', 'non-responsive']]],
    ['non_responsive (named an unregistered upstream)', { ...base('non_responsive'), hops: base('originated').hops }, []],
    ['not_found', base('not_found'), []],
    ['cancelled', base('cancelled'), []],
    ['open', base('open'), []],
  ] as const)('%s → %o', (_what, c, expected) => {
    expect(providerNotices(c as Case).map((n) => [n.provider, n.reason])).toEqual(expected);
  });

  it('tells a silent provider the deadline it missed and who named it', () => {
    const c = base('non_responsive');
    const [n] = providerNotices(c);
    expect(n).toMatchObject({ missedDeadline: new Date(c.hops[2]!.attempts[0]!.deadline).toISOString(), namedBy: 'mid', caseKind: 'traceback' });
  });

  it('asks a manual hop with the call, the question and the link', () => {
    expect(manualHopNotice(base('open'), 'mid', 'term', '2026-11-29T10:00:00.000Z', 'https://hub.example/ui/manual.html#t')).toEqual({
      provider: 'mid',
      caseKind: 'traceback',
      call: base('open').call,
      question: TRACEBACK_QUESTION,
      askedBy: 'term',
      deadline: '2026-11-29T10:00:00.000Z',
      link: 'https://hub.example/ui/manual.html#t',
    });
  });
});

describe('referral summary', () => {
  it('gives the path in the direction the call travelled and the timings', () => {
    const s = referralSummary(base('originated', { originator: 'last' }));
    expect(s).toMatchObject({ caseKind: 'traceback', outcome: 'originated', path: ['last', 'mid', 'term'], originator: { provider: 'last' }, timings: { startedAt: '2026-11-28T10:00:00.000Z', tookMs: 4000 } });
    expect(s.timings.hops.map((h) => [h.provider, h.result])).toEqual([
      ['term', 'answered'],
      ['mid', 'answered'],
      ['last', 'answered'],
    ]);
  });
});

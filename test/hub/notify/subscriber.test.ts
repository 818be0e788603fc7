import { describe, expect, it } from 'vitest';
import type { Case } from '../../../hub/case.js';
import { coversReferral, noticeReceivers, type Subscriber, SubscriberInput } from '../../../hub/notify/subscriber.js';
import { MessageError, parse } from '../../../proto/messages.js';
import { tracedCase } from '../traced-case.js';
import { subscriber } from './store-contract.js';

type Referrals = NonNullable<Subscriber['receives']['referrals']>;

const ended = (status: Case['status'], campaign?: string, chain = ['term', 'mid', 'orig']): Case => ({
  ...tracedCase({ id: `c-${status}`, chain, status, createdAt: '2026-11-28T10:00:00Z', ...(campaign && { campaign }) }),
  ...(status === 'originated' && { originator: chain.at(-1)! }),
});

describe('what a subscription covers', () => {
  it.each<[string, Referrals, Case, boolean]>([
    ['everything but cancelled', {}, ended('originated', 'A'), true],
    ['everything but cancelled', {}, ended('cancelled', 'A'), false],
    ['campaign A', { campaigns: ['A'] }, ended('originated', 'A'), true],
    ['campaign A', { campaigns: ['A'] }, ended('originated', 'B'), false],
    ['campaign A', { campaigns: ['A'] }, ended('originated'), false],
    ['non-responsive only', { outcomes: ['non_responsive'] }, ended('non_responsive', 'A'), true],
    ['non-responsive only', { outcomes: ['non_responsive'] }, ended('originated', 'A'), false],
    ['cases naming orig', { naming: 'orig' }, ended('not_found', 'A'), true],
    ['cases naming other', { naming: 'other' }, ended('originated', 'A'), false],
    ['campaign A ending non-responsive', { campaigns: ['A'], outcomes: ['non_responsive'] }, ended('non_responsive', 'B'), false],
  ])('%s: %o covers %s → %s', (_what, referrals, c, covers) => {
    expect(coversReferral(subscriber('s', { receives: { referrals, notices: false } }), c)).toBe(covers);
  });

  it('covers no open case and nothing without a referral subscription', () => {
    expect(coversReferral(subscriber('s'), ended('open'))).toBe(false);
    expect(coversReferral(subscriber('s', { receives: { notices: true }, provider: 'orig', kind: 'provider' }), ended('originated'))).toBe(false);
  });

  it('sends a provider its notices only', () => {
    const subs = [subscriber('a', { kind: 'provider', provider: 'orig', receives: { notices: true } }), subscriber('b', { kind: 'provider', provider: 'mid', receives: { notices: true } }), subscriber('c', { provider: 'orig' })];
    expect(noticeReceivers(subs, 'orig').map((s) => s.id)).toEqual(['a']);
  });
});

describe('subscriber input', () => {
  const ok = { id: 'fbi', name: 'FBI', kind: 'agency', url: 'https://tips.example.gov/hoptrace', receives: { referrals: { outcomes: ['originated'] } } };

  it('accepts an agency with a referral subscription', () => {
    expect(parse(SubscriberInput, ok).receives).toEqual({ referrals: { outcomes: ['originated'] }, notices: false });
  });

  it.each([
    [{ url: 'http://tips.example.gov/x' }, 'url', /https/],
    [{ url: 'http://127.0.0.1:9/x' }, undefined, undefined],
    [{ kind: 'provider' }, 'provider', /required when kind is provider/],
    [{ receives: { notices: true } }, 'receives.notices', /provider they are addressed to/],
    [{ receives: { referrals: { outcomes: ['maybe'] } } }, 'receives.referrals.outcomes[0]', /./],
    [{ receives: { referrals: { campaigns: [] } } }, 'receives.referrals.campaigns', /./],
    [{ id: 'Bad Id' }, 'id', /lower-case/],
  ])('%o → error at %s', (patch, path, reason) => {
    const run = () => parse(SubscriberInput, { ...ok, ...patch });
    if (path === undefined) return expect(run).not.toThrow();
    try {
      run();
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MessageError);
      expect((err as MessageError).path).toBe(path);
      expect((err as MessageError).reason).toMatch(reason!);
    }
  });
});

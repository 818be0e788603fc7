import { describe, expect, it } from 'vitest';
import type { DnoCategory } from '../../../proto/messages.js';
import { normalise } from '../../../proto/tn.js';
import { CoTable } from '../../../agent/dno/cotable.js';
import { decide, type DecideContext, type DnoAction } from '../../../agent/dno/decide.js';
import { buildSnapshot } from '../../../agent/dno/snapshot.js';

const snapshot = buildSnapshot(
  [
    { number: '+12025550100', category: 'listed', reason: 'IRS inbound-only' },
    { number: '+12925550100', category: 'listed' },
    { number: '+442079460000', category: 'listed' },
    { prefix: '+1900', category: 'listed' },
    { number: '+12025550111', category: 'unassigned' },
    { number: '+12025560111', category: 'unassigned' },
    { range: { from: '+13015550100', to: '+13015550199' }, category: 'unassigned' },
    { number: '+12025560177', category: 'invalid' },
  ],
  // NANPA says: NPA 202 assigns 202-555 and 202-200 only; NPA 301 assigns 301-555.
  { version: 42, coAssigned: new CoTable([202_555, 202_200, 301_555], []) },
);
const allow = buildSnapshot(
  [
    { number: '+12025550100', category: 'listed', reason: 'PSAP callback' },
    { prefix: '+1900555', category: 'listed' },
  ],
  { version: 0 },
);
const BLOCK_ALL: Record<DnoCategory, DnoAction> = {
  invalid: 'block',
  unallocated: 'block',
  unassigned: 'block',
  listed: 'block',
};
const ctx: DecideContext = { snapshot, actions: BLOCK_ALL, emergency: ['988'] };

const call = (calling: string | null, called = '+13125550117') => ({
  calling: calling === null ? null : normalise(calling),
  called,
});
const exempt = (rule: string) => ({ action: 'continue', rule, listVersion: 42 });

describe('decide: calling numbers that are never stopped', () => {
  it.each([
    ['absent', null],
    ['anonymous', 'anonymous'],
    ['anonymous.invalid', 'sip:anonymous@anonymous.invalid'],
    ['Restricted', 'Restricted'],
    ['not a number', 'sip:alice@example.com'],
    ['clean NANP', '+12025551234'],
    ['clean, 10 digits', '2025551234'],
    ['fictional 555-01XX is a flag, not a category', '+12025550150'],
    ['an NPA the CO table does not cover', '+17185550100'],
    ['non-NANP not listed', '+33142685300'],
  ])('%s → continue', (_name, calling) => {
    expect(decide(call(calling), ctx)).toEqual({ action: 'continue', listVersion: 42 });
  });
});

describe('decide: categories in order', () => {
  it.each([
    ['npa-n9x', '+12915550100', 'invalid', 'npa-n9x'],
    ['npa-0-1', '11025550100', 'invalid', 'npa-0-1'],
    ['npa-n11', '+14115550100', 'invalid', 'npa-n11'],
    ['nxx-0-1', '+12021550100', 'invalid', 'nxx-0-1'],
    ['nxx-n11', '+12029110100', 'invalid', 'nxx-n11'],
    ['wrong length', '+1202555010', 'invalid', 'length'],
    ['structure before a list (also listed)', '+12925550100', 'invalid', 'npa-n9x'],
    ['an invalid list entry before the CO table', '+12025560177', 'invalid', 'invalid:+12025560177'],
    ['unallocated NPA-NXX', '+12025560100', 'unallocated', 'co:202-556'],
    ['unallocated before unassigned', '+12025560111', 'unallocated', 'co:202-556'],
    ['unassigned number', '+12025550111', 'unassigned', 'unassigned:+12025550111'],
    ['unassigned range', '+13015550150', 'unassigned', 'range:+13015550100-+13015550199'],
    ['listed number', '+12025550100', 'listed', 'listed:+12025550100'],
    ['listed number in a SIP URI', '<sip:+12025550100@192.0.2.1;user=phone>', 'listed', 'listed:+12025550100'],
    ['listed prefix', '+19005551234', 'listed', 'prefix:+1900'],
    ['listed non-NANP number', '+442079460000', 'listed', 'listed:+442079460000'],
  ])('%s → block %s (%s)', (_name, calling, category, rule) => {
    expect(decide(call(calling), ctx)).toEqual({ action: 'block', category, rule, listVersion: 42 });
  });
});

describe('decide: actions per category', () => {
  it.each(['invalid', 'unallocated', 'unassigned', 'listed'] as const)('monitor for %s only', (monitored) => {
    const actions = { ...BLOCK_ALL, [monitored]: 'monitor' as const };
    const samples: Record<DnoCategory, string> = {
      invalid: '+12915550100',
      unallocated: '+12025560100',
      unassigned: '+12025550111',
      listed: '+12025550100',
    };
    for (const [category, calling] of Object.entries(samples)) {
      const d = decide(call(calling), { ...ctx, actions });
      expect(d.category).toBe(category);
      expect(d.action).toBe(category === monitored ? 'monitor' : 'block');
    }
  });
});

describe('decide: exemptions', () => {
  it.each([
    '911',
    '+1911',
    '1911',
    '112',
    'sip:911@10.0.0.1;user=phone',
    '<sip:+1911@sbc.example.net>',
    'tel:911',
    'urn:service:sos',
    'urn:service:sos.police',
    '988',
  ])('a call to emergency number %j continues even from a listed caller', (called) => {
    expect(decide(call('+12025550100', called), ctx)).toEqual(exempt('emergency'));
  });

  it('an extra exempt code applies only when configured', () => {
    expect(decide(call('+12025550100', '933'), ctx).action).toBe('block');
    expect(decide(call('+12025550100', '933'), { ...ctx, emergency: ['933'] }).rule).toBe('emergency');
  });

  it('an emergency call from an invalid number continues', () => {
    expect(decide(call('+12915550100', '911'), ctx)).toEqual(exempt('emergency'));
  });

  it('the allow-list wins over every category', () => {
    const withAllow = { ...ctx, allow };
    expect(decide(call('+12025550100'), withAllow)).toEqual(exempt('allow:+12025550100'));
    expect(decide(call('+19005550000'), withAllow)).toEqual(exempt('allow:+1900555*'));
    expect(decide(call('+19004440000'), withAllow)).toMatchObject({ action: 'block', rule: 'prefix:+1900' });
  });

  it('emergency is checked before the allow-list', () => {
    expect(decide(call('+12025550100', '911'), { ...ctx, allow }).rule).toBe('emergency');
  });

  it('reports the list version of the snapshot it decided with', () => {
    const other = buildSnapshot([], { version: 43 });
    expect(decide(call('+12025551234'), { ...ctx, snapshot: other }).listVersion).toBe(43);
    expect(decide(call('+12925550100'), { ...ctx, snapshot: other })).toMatchObject({
      action: 'block',
      listVersion: 43,
    });
  });
});

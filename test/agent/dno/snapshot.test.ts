import { describe, expect, it } from 'vitest';
import type { DnoEntry } from '../../../proto/messages.js';
import { CoTable } from '../../../agent/dno/cotable.js';
import { buildSnapshot, digitsOf, SnapshotBuilder, SnapshotEntryError, targetOf } from '../../../agent/dno/snapshot.js';

const V1 = { version: 1 };
const listed = (number: string, extra: Partial<DnoEntry> = {}): DnoEntry => ({ number, category: 'listed', ...extra });

describe('snapshot exact numbers', () => {
  const snap = buildSnapshot(
    [
      listed('+12025550100', { reason: 'IRS inbound-only', source: 'itg' }),
      listed('+12025550102'),
      listed('+442079460000', { source: 'hub' }),
      listed('+1234567'),
      listed('+999999999999999'),
    ],
    { version: 7 },
  );

  it.each([
    ['+12025550100', 'listed:+12025550100'],
    ['+12025550102', 'listed:+12025550102'],
    ['+442079460000', 'listed:+442079460000'],
    ['+1234567', 'listed:+1234567'],
    ['+999999999999999', 'listed:+999999999999999'],
  ])('finds listed number %s', (number, rule) => {
    expect(snap.lookup(number)?.rule).toBe(rule);
  });

  it.each([
    '+12025550101',
    '+12025550099',
    '+12025550103',
    '+1202555010',
    '+120255501000',
    '+1',
    '12025550100',
    '',
    '+1202555O100',
    '+02025550100',
  ])('does not match %j', (number) => {
    expect(snap.lookup(number)).toBeNull();
  });

  it('returns the entry with its reason and source', () => {
    expect(snap.lookup('+12025550100')).toEqual({
      category: 'listed',
      entry: { number: '+12025550100', category: 'listed', reason: 'IRS inbound-only', source: 'itg' },
      rule: 'listed:+12025550100',
    });
    expect(snap.lookup('+442079460000')?.entry).toEqual({ number: '+442079460000', category: 'listed', source: 'hub' });
    expect(snap.lookup('+12025550102')?.entry).toEqual({ number: '+12025550102', category: 'listed' });
  });

  it('reports its version and counts', () => {
    expect(snap.version).toBe(7);
    expect(snap.counts).toEqual({ numbers: 5, intervals: 0, coCodes: 0, byCategory: { invalid: 0, unallocated: 0, unassigned: 0, listed: 5 } });
  });

  it('an empty snapshot matches nothing', () => {
    const empty = buildSnapshot([], { version: 0 });
    expect(empty.lookup('+12025550100')).toBeNull();
    expect(empty.unallocated('+12025550100')).toBeNull();
  });
});

describe('snapshot precedence', () => {
  it('counts each number once per category it resolves to, and intervals by their category', () => {
    const snap = buildSnapshot(
      [
        listed('+12025550100'),
        { number: '+12025550100', category: 'unassigned' },
        { number: '+12025550101', category: 'invalid' },
        { prefix: '+1900', category: 'listed' },
        { range: { from: '+13015550100', to: '+13015550199' }, category: 'unallocated' },
      ],
      { version: 1 },
    );
    expect(snap.counts.byCategory).toEqual({ invalid: 1, unallocated: 1, unassigned: 1, listed: 1 });
  });

  it('keeps one copy of a duplicated number', () => {
    const snap = buildSnapshot([listed('+12025550100'), listed('+12025550100'), listed('+12025550100')], V1);
    expect(snap.counts.numbers).toBe(1);
  });

  it.each([
    [['listed', 'unassigned'], 'unassigned'],
    [['unassigned', 'listed'], 'unassigned'],
    [['listed', 'invalid', 'unassigned'], 'invalid'],
    [['unallocated', 'unassigned'], 'unallocated'],
  ] as const)('a number in categories %j resolves to %s whatever the order added', (categories, winner) => {
    const entries = categories.map((category) => ({ number: '+12025550100', category }));
    expect(buildSnapshot(entries, V1).lookup('+12025550100')?.category).toBe(winner);
    expect(buildSnapshot([...entries].reverse(), V1).lookup('+12025550100')?.category).toBe(winner);
  });

  it('an exact number wins over a prefix of the same category', () => {
    const snap = buildSnapshot([{ prefix: '+1202', category: 'listed' }, listed('+12025550100')], { version: 1 });
    expect(snap.lookup('+12025550100')?.rule).toBe('listed:+12025550100');
    expect(snap.lookup('+12025550101')?.rule).toBe('prefix:+1202');
  });

  it('a prefix of an earlier category wins over an exact listed number', () => {
    const snap = buildSnapshot([{ prefix: '+1202555', category: 'unassigned' }, listed('+12025550100')], V1);
    expect(snap.lookup('+12025550100')).toMatchObject({ category: 'unassigned', rule: 'prefix:+1202555' });
  });

  it('an exact number of an earlier category wins over a prefix', () => {
    const invalid: DnoEntry = { number: '+12025550100', category: 'invalid' };
    const snap = buildSnapshot([{ prefix: '+1202', category: 'listed' }, invalid], V1);
    expect(snap.lookup('+12025550100')).toMatchObject({ category: 'invalid', rule: 'invalid:+12025550100' });
  });

  it('keeps reasons apart beyond 4094 distinct reasons', () => {
    const line = (i: number) => `+1202555${String(i).padStart(4, '0')}`;
    const snap = buildSnapshot(Array.from({ length: 5000 }, (_, i) => listed(line(i), { reason: `r${i}` })), V1);
    for (const i of [0, 4093, 4094, 4095, 4999]) {
      expect(snap.lookup(line(i))?.entry.reason).toBe(`r${i}`);
    }
  });
});

describe('snapshot prefixes and ranges', () => {
  const snap = buildSnapshot(
    [
      { prefix: '+1900', category: 'listed', reason: 'premium' },
      { prefix: '+1900555', category: 'listed', reason: 'narrower' },
      { range: { from: '+12025550150', to: '+12025550199' }, category: 'unassigned' },
      { range: { from: '+12025550180', to: '+12025550250' }, category: 'listed' },
      { prefix: '+44', category: 'listed' },
    ],
    { version: 1 },
  );

  it.each([
    ['+19000000000', 'prefix:+1900'],
    ['+19009999999', 'prefix:+1900'],
    ['+19005550000', 'prefix:+1900555'],
    ['+19005559999', 'prefix:+1900555'],
    ['+19005560000', 'prefix:+1900'],
    ['+190012345678', 'prefix:+1900'],
    ['+12025550150', 'range:+12025550150-+12025550199'],
    ['+12025550199', 'range:+12025550150-+12025550199'],
    ['+12025550200', 'range:+12025550180-+12025550250'],
    ['+12025550250', 'range:+12025550180-+12025550250'],
    ['+442079460000', 'prefix:+44'],
    ['+4412345', 'prefix:+44'],
  ])('%s matches %s', (number, rule) => {
    expect(snap.lookup(number)?.rule).toBe(rule);
  });

  const outside = ['+18999999999', '+19010000000', '+12025550149', '+12025550251', '+120255501500', '+18005551234'];
  it.each(outside)('%s matches nothing', (number) => {
    expect(snap.lookup(number)).toBeNull();
  });

  it('an overlap goes to the earlier category, the rest of each range keeps its own', () => {
    expect(snap.lookup('+12025550180')?.category).toBe('unassigned');
    expect(snap.lookup('+12025550179')?.category).toBe('unassigned');
    expect(snap.lookup('+12025550201')?.category).toBe('listed');
  });

  it('returns the original entry of a prefix', () => {
    expect(snap.lookup('+19005551234')?.entry).toEqual({ prefix: '+1900555', category: 'listed', reason: 'narrower' });
    expect(snap.counts.intervals).toBe(5);
  });
});

describe('snapshot unallocated NPA-NXX', () => {
  const co = new CoTable([202_555, 202_200], [202]);
  const snap = buildSnapshot([], { version: 1, coAssigned: co });

  it.each([
    ['+12025550100', null],
    ['+12022001234', null],
    ['+12025560100', 'co:202-556'],
    ['+13015550100', null],
    ['+442079460000', null],
    ['+1202556010', null],
  ])('%s → %s', (number, rule) => {
    expect(snap.unallocated(number)).toBe(rule);
  });

  it('counts the assigned codes', () => {
    expect(snap.counts.coCodes).toBe(2);
  });

  it('without a CO table nothing is unallocated', () => {
    expect(buildSnapshot([], { version: 1 }).unallocated('+12025560100')).toBeNull();
  });
});

describe('snapshot builder', () => {
  it('adds in chunks beyond its initial capacity', () => {
    const builder = new SnapshotBuilder();
    for (let c = 0; c < 5; c++) {
      builder.add(Array.from({ length: 1000 }, (_, i) => listed(`+1303${String(c * 1000 + i).padStart(7, '0')}`)));
    }
    const snap = builder.build({ version: 2 });
    expect(snap.counts.numbers).toBe(5000);
    expect(snap.lookup('+13030004999')?.category).toBe('listed');
    expect(snap.lookup('+13030005000')).toBeNull();
  });

  it('finds every number and none between them, across index blocks', () => {
    const at = (i: number) => `+1303${String(i * 2).padStart(7, '0')}`;
    const snap = buildSnapshot(Array.from({ length: 1000 }, (_, i) => listed(at(i))), V1);
    for (let i = 0; i < 1000; i++) {
      expect(snap.lookup(at(i))?.rule).toBe(`listed:${at(i)}`);
      expect(snap.lookup(`+1303${String(i * 2 + 1).padStart(7, '0')}`)).toBeNull();
    }
    expect(snap.lookup('+13029999999')).toBeNull();
    expect(snap.lookup('+13040000000')).toBeNull();
  });

  it.each([
    [{ number: '+1abc', category: 'listed' }, 'number must be + and 1-15 digits'],
    [{ prefix: '1900', category: 'listed' }, 'prefix must be + and 1-15 digits'],
    [{ range: { from: '+12025550199', to: '+12025550100' }, category: 'listed' }, 'range needs from <= to'],
    [{ number: '+12025550100', category: 'bogus' }, 'unknown category bogus'],
  ])('refuses an entry that cannot be packed: %j', (entry, reason) => {
    expect(() => buildSnapshot([entry as DnoEntry], { version: 1 })).toThrow(SnapshotEntryError);
    expect(() => buildSnapshot([entry as DnoEntry], { version: 1 })).toThrow(reason);
  });
});

describe('helpers', () => {
  it.each([
    ['+12025550100', 12025550100],
    ['+999999999999999', 999999999999999],
    ['+0123', -1],
    ['+', -1],
    ['+1234567890123456', -1],
    ['12025550100', -1],
  ])('digitsOf(%j) = %d', (s, d) => {
    expect(digitsOf(s)).toBe(d);
  });

  it('writes targets as list files do', () => {
    expect(targetOf(listed('+12025550100'))).toBe('+12025550100');
    expect(targetOf({ prefix: '+1900', category: 'listed' })).toBe('+1900*');
    const range = { from: '+12025550100', to: '+12025550199' };
    expect(targetOf({ range, category: 'listed' })).toBe('+12025550100-+12025550199');
  });
});

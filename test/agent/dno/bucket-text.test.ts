import { describe, expect, it } from 'vitest';
import { bucketOf, bucketsFor, formatBucket, parseBucket, PayloadIds } from '../../../agent/dno/bucket-text.js';

describe('Redis bucket text', () => {
  it('round-trips entries with and without a payload id', () => {
    const bucket = new Map([
      ['l12025550100', ''],
      ['u1900*', '0'],
      ['i12025550100-12025550199', 'z1'],
    ]);
    const text = formatBucket(bucket);
    expect(text).toBe('l12025550100\nu1900*\t0\ni12025550100-12025550199\tz1\n');
    expect(parseBucket(text)).toEqual(bucket);
  });

  it('an absent or empty bucket has no entries', () => {
    expect(parseBucket(null).size).toBe(0);
    expect(parseBucket('').size).toBe(0);
  });

  it('sizes buckets at about 128 entries, as a power of two', () => {
    expect(bucketsFor(0)).toBe(16);
    expect(bucketsFor(3_000_000)).toBe(32_768);
    expect(bucketsFor(1e9)).toBe(65_536);
  });

  it('spreads consecutive numbers evenly', () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 64_000; i++) counts[bucketOf(`l1303${String(i).padStart(7, '0')}`, 64)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});

describe('payload ids', () => {
  it('gives each distinct payload the next id and reuses it', () => {
    const ids = new PayloadIds();
    expect(ids.idOf({})).toBe('');
    expect(ids.idOf({ source: 'a' })).toBe('0');
    expect(ids.idOf({ source: 'b' })).toBe('1');
    expect(ids.idOf({ source: 'a' })).toBe('0');
    expect(ids.takeAdded()).toEqual(['0', '{"source":"a"}', '1', '{"source":"b"}']);
    expect(ids.takeAdded()).toEqual([]);
  });

  it('continues after the ids a generation already has', () => {
    const ids = new PayloadIds({ '0': '{"source":"a"}', z: '{"source":"b"}' });
    expect(ids.idOf({ source: 'b' })).toBe('z');
    expect(ids.idOf({ source: 'c' })).toBe('10');
  });
});

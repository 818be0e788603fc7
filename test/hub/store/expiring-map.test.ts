import { describe, expect, it } from 'vitest';
import { ExpiringMap } from '../../../hub/store/expiring-map.js';

describe('ExpiringMap', () => {
  it('returns an entry until its expiry and nothing from then on', () => {
    let now = 100;
    const map = new ExpiringMap<string>({ clock: () => now });
    map.set('a', 'one', 200);
    expect(map.get('a')).toBe('one');
    now = 199;
    expect(map.get('a')).toBe('one');
    now = 200;
    expect(map.get('a')).toBeUndefined();
    expect(map.get('never')).toBeUndefined();
  });

  it('drops expired entries at the next set after a sweep interval, keeping live ones', () => {
    let now = 0;
    const map = new ExpiringMap<number>({ clock: () => now, sweepEveryMs: 1_000 });
    for (let i = 0; i < 100; i++) map.set(`old-${i}`, i, 500);
    map.set('live', 1, 10_000);
    now = 600;
    map.set('x', 2, 10_000);
    expect(map.size).toBe(102);
    now = 1_000;
    map.set('y', 3, 10_000);
    expect(map.size).toBe(3);
    expect([map.get('live'), map.get('x'), map.get('y')]).toEqual([1, 2, 3]);
  });

  it('replaces an entry set again, with its new expiry', () => {
    let now = 0;
    const map = new ExpiringMap<string>({ clock: () => now });
    map.set('a', 'one', 10);
    map.set('a', 'two', 100);
    now = 50;
    expect(map.get('a')).toBe('two');
  });
});

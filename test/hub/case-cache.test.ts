import { describe, expect, it } from 'vitest';
import { CaseCache } from '../../hub/case-cache.js';
import { aCase, next } from './store/contract.js';

describe('case cache', () => {
  it('keeps the latest stored version of an open case, and forgets it when it ends or is forgotten', () => {
    const cache = new CaseCache();
    const v0 = aCase('c1');
    cache.keep(v0);
    const v1 = next(v0);
    cache.keep(v1);
    expect(cache.get('c1')).toBe(v1);
    cache.keep(next(v1, { status: 'originated' }));
    expect(cache.get('c1')).toBeUndefined();
    cache.keep(aCase('c2'));
    cache.forget('c2');
    expect([cache.get('c2'), cache.size]).toEqual([undefined, 0]);
  });

  it('drops the case stored longest ago when full', () => {
    const cache = new CaseCache(2);
    for (const id of ['c1', 'c2']) cache.keep(aCase(id));
    cache.keep(next(aCase('c1')));
    cache.keep(aCase('c3'));
    expect(['c1', 'c2', 'c3'].map((id) => cache.get(id)?.id)).toEqual(['c1', undefined, 'c3']);
  });
});

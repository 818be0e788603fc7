import { describe, expect, it } from 'vitest';
import { MemoryHubStore } from '../../../hub/store/memory-store.js';
import { hubStoreContract } from './contract.js';

// One process holds the memory store: both "instances" are the same object.
hubStoreContract('memory', async () => {
  const store = new MemoryHubStore();
  return [store, store];
});

describe('memory hub store', () => {
  it('forgets a jti and a query link at their expiry on its clock', async () => {
    let now = 1_000;
    const store = new MemoryHubStore({ clock: () => now });
    expect(await store.remember('jti-1', 2_000)).toBe(true);
    await store.enqueue('term-co', { queryId: 'q1', caseId: 'case-1', jws: 'x' });
    now = 1_999;
    expect(await store.remember('jti-1', 5_000)).toBe(false);
    now = 2_000;
    expect(await store.remember('jti-1', 5_000)).toBe(true);
    expect(await store.caseOfQuery('q1')).toBe('case-1');
    now += 30 * 24 * 3600 * 1000;
    expect(await store.caseOfQuery('q1')).toBeUndefined();
  });
});

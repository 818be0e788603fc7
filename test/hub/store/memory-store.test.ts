import { describe, expect, it } from 'vitest';
import { MemoryHubStore } from '../../../hub/store/memory-store.js';
import { hubStoreContract } from './contract.js';

// One process holds the memory store: both "instances" are the same object.
hubStoreContract('memory', async () => {
  const store = new MemoryHubStore();
  return [store, store];
});

describe('memory hub store', () => {
  it('forgets a jti at its expiry on its clock', async () => {
    let now = 1_000;
    const store = new MemoryHubStore({ clock: () => now });
    expect(await store.remember('jti-1', 2_000)).toBe(true);
    now = 1_999;
    expect(await store.remember('jti-1', 5_000)).toBe(false);
    now = 2_000;
    expect(await store.remember('jti-1', 5_000)).toBe(true);
  });
});

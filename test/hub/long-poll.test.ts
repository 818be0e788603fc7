import { describe, expect, it } from 'vitest';
import { waitForQueries } from '../../hub/long-poll.js';
import { MemoryHubStore } from '../../hub/store/memory-store.js';
import type { HubStore } from '../../hub/store/store.js';
import { aQuery } from './store/contract.js';

const q = (n: number) => aQuery(`q${n}`);
const ids = (queries: { queryId: string }[]) => queries.map((x) => x.queryId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store whose takes wait `ms` before taking: a slow Redis. */
function slowTakes(store: MemoryHubStore, ms: number): HubStore {
  return Object.create(store, { take: { value: async (p: string, max: number) => (await sleep(ms), store.take(p, max)) } }) as HubStore;
}

describe('agent long poll', () => {
  it('returns what is queued at once, and without waiting when asked not to', async () => {
    const store = new MemoryHubStore();
    await store.enqueue('term', q(1));
    expect(ids(await waitForQueries(store, 'term', 5_000))).toEqual(['q1']);
    expect(await waitForQueries(store, 'term', 0)).toEqual([]);
  });

  it('wakes on an enqueue, not on a timer', async () => {
    const store = new MemoryHubStore();
    const started = Date.now();
    const polled = waitForQueries(store, 'term', 10_000);
    await sleep(30);
    await store.enqueue('term', q(2));
    expect(ids(await polled)).toEqual(['q2']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ends empty at its wait, or when the agent goes away', async () => {
    const store = new MemoryHubStore();
    expect(await waitForQueries(store, 'term', 50)).toEqual([]);
    const gone = new AbortController();
    const polled = waitForQueries(store, 'term', 10_000, gone.signal);
    gone.abort();
    expect(await polled).toEqual([]);
  });

  it('hands over what a take in flight took when the wait ends: a taken query is never dropped', async () => {
    const mem = new MemoryHubStore();
    const store = slowTakes(mem, 100);
    const polled = waitForQueries(store, 'term', 60);
    await mem.enqueue('term', q(3)); // taken by the take already running when the wait ends
    expect(ids(await polled)).toEqual(['q3']);
    expect(await mem.take('term', 10)).toEqual([]);
  });

  it('runs one take at a time under a burst of signals, leaving the rest queued for the next poll', async () => {
    const mem = new MemoryHubStore();
    const store = slowTakes(mem, 20);
    const polled = waitForQueries(store, 'term', 5_000);
    for (let i = 0; i < 100; i++) await mem.enqueue('term', q(i));
    const first = await polled;
    await sleep(100);
    const rest = await mem.take('term', 1000);
    expect(ids([...first, ...rest]).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `q${i}`).sort());
  });
});

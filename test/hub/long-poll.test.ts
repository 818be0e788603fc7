import { describe, expect, it } from 'vitest';
import { waitForQueries } from '../../hub/long-poll.js';
import { MemoryHubStore } from '../../hub/store/memory-store.js';
import type { HubStore, QueuedQuery } from '../../hub/store/store.js';

const q = (n: number): QueuedQuery => ({ queryId: `q${n}`, caseId: 'c1', jws: `jws${n}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store whose takes wait `ms` before taking: a slow Redis. */
function slowTakes(store: MemoryHubStore, ms: number): HubStore {
  return Object.create(store, { take: { value: async (p: string, max: number) => (await sleep(ms), store.take(p, max)) } }) as HubStore;
}

describe('agent long poll', () => {
  it('returns what is queued at once, and without waiting when asked not to', async () => {
    const store = new MemoryHubStore();
    await store.enqueue('term', q(1));
    expect(await waitForQueries(store, 'term', 5_000)).toEqual(['jws1']);
    expect(await waitForQueries(store, 'term', 0)).toEqual([]);
  });

  it('wakes on an enqueue, not on a timer', async () => {
    const store = new MemoryHubStore();
    const started = Date.now();
    const polled = waitForQueries(store, 'term', 10_000);
    await sleep(30);
    await store.enqueue('term', q(2));
    expect(await polled).toEqual(['jws2']);
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
    expect(await polled).toEqual(['jws3']);
    expect(await mem.take('term', 10)).toEqual([]);
  });

  it('runs one take at a time under a burst of signals, leaving the rest queued for the next poll', async () => {
    const mem = new MemoryHubStore();
    const store = slowTakes(mem, 20);
    const polled = waitForQueries(store, 'term', 5_000);
    for (let i = 0; i < 100; i++) await mem.enqueue('term', q(i));
    const first = await polled;
    await sleep(100);
    const rest = (await mem.take('term', 1000)).map((x) => x.jws);
    expect([...first, ...rest].sort()).toEqual(Array.from({ length: 100 }, (_, i) => `jws${i}`).sort());
  });
});

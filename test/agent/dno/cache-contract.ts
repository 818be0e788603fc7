/**
 * The DnoCache contract, run against every implementation (memory-cache.test.ts, redis-cache.test.ts).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { DnoDelta, DnoEntry } from '../../../proto/messages.js';
import { DnoCacheChangedError, ENTRY_CHUNK, type DnoCache, type DnoEntryGroup } from '../../../agent/dno/store.js';
import { targetOf } from '../../../agent/dno/snapshot.js';

type Category = DnoEntry['category'];

export const number = (n: string, category: Category = 'listed', extra: Partial<DnoEntry> = {}): DnoEntry => ({
  number: n,
  category,
  ...extra,
});

export const full = (version: number, add: DnoEntry[]): DnoDelta => ({ version, full: true, add, remove: [] });
export const delta = (since: number, version: number, add: DnoEntry[], remove: DnoEntry[] = []): DnoDelta => ({
  version,
  since,
  full: false,
  add,
  remove,
});

export async function allEntries(cache: DnoCache): Promise<DnoEntry[]> {
  const out: DnoEntry[] = [];
  for await (const chunk of cache.entries()) out.push(...chunk);
  return sorted(out);
}

export const manyNumbers = (count: number, category: Category = 'listed'): DnoEntry[] =>
  Array.from({ length: count }, (_, i) => number(`+1303${String(i).padStart(7, '0')}`, category, { source: 'hub' }));

/** Resolves with the next version a listener hears. */
export function nextChange(cache: DnoCache): Promise<number> {
  return new Promise((resolve) => {
    const off = cache.onChange((v) => {
      off();
      resolve(v);
    });
  });
}

export function cacheContract(make: () => Promise<DnoCache>): void {
  let cache: DnoCache;
  beforeEach(async () => {
    cache = await make();
  });
  afterEach(async () => {
    await cache.close();
  });

  it('starts empty at version 0', async () => {
    expect(await cache.version()).toBe(0);
    expect(await allEntries(cache)).toEqual([]);
  });

  it('a full delta sets the version and every entry, each kind round-tripping exactly', async () => {
    const entries: DnoEntry[] = [
      number('+12025550100', 'listed', { reason: 'IRS inbound-only', source: 'itg' }),
      number('+12025550101', 'unassigned'),
      number('+442079460000', 'invalid', { source: 'hub' }),
      { prefix: '+1900', category: 'listed', reason: 'premium' },
      { range: { from: '+13015550100', to: '+13015550199' }, category: 'unallocated' },
    ];
    expect(await cache.apply(full(5, entries))).toBe(true);
    expect(await cache.version()).toBe(5);
    expect(await allEntries(cache)).toEqual(sorted(entries));
  });

  it('an incremental delta applies on its since version: removals, then additions', async () => {
    await cache.apply(full(1, [number('+12025550100'), number('+12025550101')]));
    const back = number('+12025550101', 'listed', { reason: 'back' });
    const d = delta(1, 2, [number('+12025550102'), back], [number('+12025550100'), number('+12025550101')]);
    expect(await cache.apply(d)).toBe(true);
    expect(await cache.version()).toBe(2);
    expect(await allEntries(cache)).toEqual([back, number('+12025550102')]);
  });

  it('ignores a delta whose since is not the current version, changing nothing', async () => {
    await cache.apply(full(3, [number('+12025550100')]));
    expect(await cache.apply(delta(2, 4, [number('+12025550199')]))).toBe(false);
    expect(await cache.apply(delta(4, 5, [], [number('+12025550100')]))).toBe(false);
    expect(await cache.version()).toBe(3);
    expect(await allEntries(cache)).toEqual([number('+12025550100')]);
  });

  it('a full delta replaces everything, whatever the current version', async () => {
    await cache.apply(full(9, manyNumbers(50)));
    expect(await cache.apply(full(2, [number('+12025550100', 'unassigned')]))).toBe(true);
    expect(await cache.version()).toBe(2);
    expect(await allEntries(cache)).toEqual([number('+12025550100', 'unassigned')]);
  });

  it('the same number in two categories is two entries; removing one keeps the other', async () => {
    await cache.apply(full(1, [number('+12025550100', 'listed'), number('+12025550100', 'unassigned')]));
    expect(await allEntries(cache)).toHaveLength(2);
    await cache.apply(delta(1, 2, [], [number('+12025550100', 'unassigned', { reason: 'ignored for identity' })]));
    expect(await allEntries(cache)).toEqual([number('+12025550100', 'listed')]);
  });

  it('adding an entry again replaces its reason and source', async () => {
    await cache.apply(full(1, [number('+12025550100', 'listed', { reason: 'old', source: 'a' })]));
    await cache.apply(delta(1, 2, [number('+12025550100', 'listed', { source: 'b' })]));
    expect(await allEntries(cache)).toEqual([number('+12025550100', 'listed', { source: 'b' })]);
  });

  it('replace streams a whole list in as one new version, read chunk by chunk', async () => {
    const first = nextChange(cache);
    await cache.apply(full(3, [number('+12025550100')]));
    await first;
    const count = ENTRY_CHUNK * 2 + 7;
    const list = manyNumbers(count);
    const others: DnoEntry[] = [
      { prefix: '+1900', category: 'listed', reason: 'premium' },
      { range: { from: '+13015550100', to: '+13015550199' }, category: 'unallocated', reason: 'premium' },
    ];
    async function* groups(): AsyncIterable<DnoEntryGroup> {
      for (let i = 0; i < list.length; i += 1000) yield { category: 'listed', source: 'hub', targets: list.slice(i, i + 1000).map((e) => e.number!) };
      yield { category: 'listed', reason: 'premium', targets: ['+1900*'] };
      yield { category: 'unallocated', reason: 'premium', targets: ['+13015550100-+13015550199'] };
    }
    const changed = nextChange(cache);
    await cache.replace(9, groups(), count);
    expect(await changed).toBe(9);
    expect(await cache.version()).toBe(9);
    expect(await allEntries(cache)).toEqual(sorted([...list, ...others]));
  });

  it('a replace whose entries fail changes nothing and throws their error', async () => {
    await cache.apply(full(3, [number('+12025550100')]));
    const cut = new Error('sync cut short');
    async function* groups(): AsyncIterable<DnoEntryGroup> {
      yield { category: 'listed', targets: manyNumbers(500).map((e) => e.number!) };
      throw cut;
    }
    await expect(cache.replace(4, groups(), 1000)).rejects.toBe(cut);
    expect(await cache.version()).toBe(3);
    expect(await allEntries(cache)).toEqual([number('+12025550100')]);
    await cache.replace(5, (async function* () {})(), 0);
    expect(await allEntries(cache)).toEqual([]);
  });

  it('streams entries in chunks of at most ENTRY_CHUNK', async () => {
    const count = ENTRY_CHUNK * 2 + 500;
    await cache.apply(full(1, manyNumbers(count)));
    const sizes: number[] = [];
    const seen = new Set<string>();
    for await (const chunk of cache.entries()) {
      sizes.push(chunk.length);
      for (const e of chunk) seen.add(e.number!);
    }
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(ENTRY_CHUNK);
    expect(seen.size).toBe(count);
  });

  it('a change while entries are streamed makes the stream throw DnoCacheChangedError', async () => {
    await cache.apply(full(1, manyNumbers(ENTRY_CHUNK * 3)));
    const read = async () => {
      let first = true;
      for await (const _chunk of cache.entries()) {
        if (first) await cache.apply(delta(1, 2, [number('+12025550100')]));
        first = false;
      }
    };
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnoCacheChangedError);
    expect((err as Error).message).toBe(
      'DNO cache changed from version 1 to 2 while its entries were read; read again',
    );
  });

  it('tells listeners the new version after a change, until they unsubscribe', async () => {
    const heard: number[] = [];
    const off = cache.onChange((v) => heard.push(v));
    const changed = nextChange(cache);
    await cache.apply(full(1, [number('+12025550100')]));
    expect(await changed).toBe(1);
    off();
    const later = nextChange(cache);
    await cache.apply(delta(1, 2, [number('+12025550101')]));
    expect(await later).toBe(2);
    expect(heard).toEqual([1]);
  });

  it('an ignored delta tells nobody', async () => {
    const heard: number[] = [];
    cache.onChange((v) => heard.push(v));
    await cache.apply(delta(7, 8, [number('+12025550100')]));
    const changed = nextChange(cache);
    await cache.apply(full(1, []));
    expect(await changed).toBe(1);
    expect(heard).toEqual([1]);
  });

  it('the sync lease has one holder at a time, renewable by it, free again after its TTL', async () => {
    expect(await cache.acquireSyncLease('agent-a', 200)).toBe(true);
    expect(await cache.acquireSyncLease('agent-b', 200)).toBe(false);
    expect(await cache.acquireSyncLease('agent-a', 200)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await cache.acquireSyncLease('agent-b', 200)).toBe(true);
    expect(await cache.acquireSyncLease('agent-a', 200)).toBe(false);
  });
}

function sorted(entries: DnoEntry[]): DnoEntry[] {
  return [...entries].sort((a, b) => `${a.category}${targetOf(a)}`.localeCompare(`${b.category}${targetOf(b)}`));
}

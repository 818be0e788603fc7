import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DnoDelta, DnoEntry } from '../../../proto/messages.js';
import { CoTable } from '../../../agent/dno/cotable.js';
import { LiveDno, type LiveDnoOptions } from '../../../agent/dno/live.js';
import { MemoryDnoCache } from '../../../agent/dno/memory-cache.js';
import { type ListPart, SnapshotBuilder } from '../../../agent/dno/snapshot.js';
import type { DnoAnnouncedChange, DnoCache, DnoEntryGroup, DnoPosition } from '../../../agent/dno/store.js';
import { delta, full, manyNumbers, number } from './cache-contract.js';

/** A memory cache that can be made unreachable, or deaf to its own changes (a lost pub/sub message). */
class FlakyCache implements DnoCache {
  readonly inner = new MemoryDnoCache();
  down = false;
  deaf = false;
  /** Pass the version of a change on, never the change itself (as for a large delta). */
  bare = false;
  reads = 0;
  refused = 0;
  /** While set, entries() pauses after its first chunk. */
  hold: Promise<void> | null = null;

  version(): Promise<number> {
    return this.down ? this.refuse() : this.inner.version();
  }
  position(): Promise<DnoPosition> {
    return this.down ? this.refuse() : this.inner.position();
  }
  private refuse(): Promise<never> {
    this.refused++;
    return Promise.reject(new Error('connection refused'));
  }
  apply(d: DnoDelta): Promise<boolean> {
    return this.inner.apply(d);
  }
  replace(version: number, groups: AsyncIterable<DnoEntryGroup>, count = 0, list?: string): Promise<void> {
    return this.inner.replace(version, groups, count, list);
  }
  async *entries(): AsyncIterable<DnoEntry[]> {
    this.reads++;
    if (this.down) throw new Error('connection refused');
    let first = true;
    for await (const chunk of this.inner.entries()) {
      yield chunk;
      if (first && this.hold) await this.hold;
      first = false;
    }
  }
  onChange(listener: (version: number, change?: DnoAnnouncedChange) => void): () => void {
    return this.inner.onChange((v, change) => {
      if (this.deaf) return;
      if (change && !this.bare) listener(v, change);
      else listener(v);
    });
  }
  acquireSyncLease(owner: string, ttlMs: number): Promise<boolean> {
    return this.inner.acquireSyncLease(owner, ttlMs);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const part = (entries: DnoEntry[]): ListPart => new SnapshotBuilder().add(entries).part();

const logs = () => {
  const log = { info: vi.fn(), warn: vi.fn() };
  return { log, opts: log as unknown as LiveDnoOptions['log'] };
};

/** Pause the cache's next reads after their first chunk; returns the release. */
function holdReads(cache: FlakyCache): () => void {
  let release!: () => void;
  cache.hold = new Promise((r) => (release = r));
  return () => {
    cache.hold = null;
    release();
  };
}

let live: LiveDno | undefined;
afterEach(() => live?.stop());

describe('LiveDno', () => {
  it('builds its first snapshot from the cache, the local list and the CO table', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(3, [number('+12025550100')]));
    const { opts } = logs();
    const local = [number('+12025550111', 'unassigned')];
    live = new LiveDno({ cache, local: part(local), co: new CoTable([202_555], []), log: opts });
    await live.start();
    const snap = live.snapshot;
    expect(snap.version).toBe(3);
    expect(snap.lookup('+12025550100')?.category).toBe('listed');
    expect(snap.lookup('+12025550111')?.category).toBe('unassigned');
    expect(snap.unallocated('+12025560100')).toBe('co:202-556');
  });

  it('the local list applies before the first sync', () => {
    const { opts } = logs();
    live = new LiveDno({ cache: new FlakyCache(), local: part([number('+12025550111', 'unassigned')]), log: opts });
    expect(live.snapshot.version).toBe(0);
    expect(live.snapshot.lookup('+12025550111')?.category).toBe('unassigned');
  });

  it('swaps in a new snapshot after a change; a snapshot already handed out stays as it was', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(1, [number('+12025550100')]));
    const { opts } = logs();
    live = new LiveDno({ cache, log: opts });
    await live.start();
    const before = live.snapshot;
    await cache.apply(delta(1, 2, [number('+12025550101')], [number('+12025550100')]));
    await vi.waitFor(() => expect(live!.snapshot.version).toBe(2));
    expect(live.snapshot.lookup('+12025550101')).not.toBeNull();
    expect(live.snapshot.lookup('+12025550100')).toBeNull();
    expect(before.version).toBe(1);
    expect(before.lookup('+12025550100')).not.toBeNull();
    expect(before.lookup('+12025550101')).toBeNull();
  });

  it('keeps the last snapshot while the cache is unreachable, logs once, and recovers', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(1, [number('+12025550100')]));
    const { log, opts } = logs();
    live = new LiveDno({ cache, log: opts, retryMs: 20 });
    await live.start();
    cache.down = true;
    cache.bare = true;
    await cache.apply(delta(1, 2, [number('+12025550101')]));
    await vi.waitFor(() => expect(cache.refused).toBeGreaterThanOrEqual(3));
    expect(live.snapshot.version).toBe(1);
    expect(live.snapshot.lookup('+12025550100')).not.toBeNull();
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]![1]).toBe('DNO cache unreadable: deciding with the last snapshot');
    cache.down = false;
    await vi.waitFor(() => expect(live!.snapshot.version).toBe(2));
    expect(live.snapshot.lookup('+12025550101')).not.toBeNull();
    expect(log.info).toHaveBeenCalledWith('DNO cache readable again');
  });

  it('a version poll catches a change whose message was lost', async () => {
    const cache = new FlakyCache();
    cache.deaf = true;
    const { opts } = logs();
    live = new LiveDno({ cache, log: opts, pollMs: 20 });
    await live.start();
    await cache.apply(full(5, [number('+12025550100')]));
    await vi.waitFor(() => expect(live!.snapshot.version).toBe(5));
  });

  it('a new local list is swapped in at once, without reading the cache again', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(1, [number('+12025550100')]));
    const { opts } = logs();
    live = new LiveDno({ cache, local: part([number('+12025550111')]), log: opts });
    await live.start();
    const reads = cache.reads;
    live.setLocal(part([number('+12025550122', 'unassigned')]));
    expect(cache.reads).toBe(reads);
    expect(live.snapshot.lookup('+12025550111')).toBeNull();
    expect(live.snapshot.lookup('+12025550122')?.category).toBe('unassigned');
    expect(live.snapshot.lookup('+12025550100')?.category).toBe('listed');
  });

  it('refreshes asked for during a rebuild share one follow-up rebuild', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(1, manyNumbers(30_000)));
    const { opts } = logs();
    live = new LiveDno({ cache, log: opts });
    await live.start();
    const readsBefore = cache.reads;
    const release = holdReads(cache);
    const running = live.refresh();
    await vi.waitFor(() => expect(cache.reads).toBe(readsBefore + 1));
    const followUps = [live.refresh(), live.refresh(), live.refresh()];
    expect(followUps[0]).not.toBe(running);
    expect(followUps[1]).toBe(followUps[0]);
    expect(followUps[2]).toBe(followUps[0]);
    release();
    await Promise.all([running, ...followUps]);
    expect(cache.reads - readsBefore).toBe(2);
  });

  it('a change during a rebuild is not lost: the torn read is retried', async () => {
    const cache = new FlakyCache();
    cache.bare = true;
    await cache.apply(full(1, manyNumbers(30_000)));
    const { log, opts } = logs();
    live = new LiveDno({ cache, log: opts, retryMs: 60_000 });
    await live.start();
    const readsBefore = cache.reads;
    const release = holdReads(cache);
    const rebuilding = live.refresh();
    await vi.waitFor(() => expect(cache.reads).toBe(readsBefore + 1));
    await cache.apply(delta(1, 2, [number('+12025550100')]));
    release();
    await rebuilding;
    // The torn read was thrown away, not swapped in, and read again at once: no outage to report.
    expect(live.snapshot.version).toBe(1);
    await vi.waitFor(() => expect(live!.snapshot.version).toBe(2));
    expect(log.warn).not.toHaveBeenCalled();
    expect(live.snapshot.lookup('+12025550100')).not.toBeNull();
    expect(live.snapshot.counts.numbers).toBe(30_001);
  });

  it('lays a small delta over the snapshot without reading the cache; a snapshot handed out stays as it was', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(1, [number('+12025550100'), number('+12025550101'), { prefix: '+1900', category: 'listed' }]));
    const { opts } = logs();
    live = new LiveDno({ cache, log: opts });
    await live.start();
    const reads = cache.reads;
    const before = live.snapshot;
    await cache.apply(delta(1, 2, [number('+12025550102', 'unassigned'), { prefix: '+1800', category: 'listed' }], [number('+12025550100'), { prefix: '+1900', category: 'listed' }]));
    await vi.waitFor(() => expect(live!.snapshot.version).toBe(2));
    expect(cache.reads).toBe(reads);
    const snap = live.snapshot;
    expect(snap.lookup('+12025550100')).toBeNull();
    expect(snap.lookup('+12025550101')?.rule).toBe('listed:+12025550101');
    expect(snap.lookup('+12025550102')).toMatchObject({ category: 'unassigned', rule: 'unassigned:+12025550102' });
    expect(snap.lookup('+19005550100')).toBeNull();
    expect(snap.lookup('+18005550100')?.rule).toBe('prefix:+1800');
    expect(snap.counts.byCategory).toEqual({ invalid: 0, unallocated: 0, unassigned: 1, listed: 2 });
    expect(before.lookup('+12025550100')?.rule).toBe('listed:+12025550100');
    expect(before.lookup('+12025550102')).toBeNull();
  });

  it('a removed category uncovers the number\'s other category; a re-added number carries its new reason', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(1, [number('+12025550100', 'unassigned'), number('+12025550100'), { ...number('+12025550101'), reason: 'old' }]));
    const { opts } = logs();
    live = new LiveDno({ cache, log: opts });
    await live.start();
    expect(live.snapshot.categoryOf('+12025550100')).toBe('unassigned');
    await cache.apply(delta(1, 2, [{ ...number('+12025550101'), reason: 'new' }], [number('+12025550100', 'unassigned')]));
    await vi.waitFor(() => expect(live!.snapshot.version).toBe(2));
    expect(live.snapshot.categoryOf('+12025550100')).toBe('listed');
    expect(live.snapshot.lookup('+12025550101')?.entry.reason).toBe('new');
  });

  it('a delta that does not start at the snapshot\'s version or list is not laid over: the list is read whole', async () => {
    const cache = new FlakyCache();
    await cache.replace(4, (async function* () { yield { category: 'listed' as const, targets: ['+12025550100'] }; })(), 1, 'list-a');
    const { opts } = logs();
    live = new LiveDno({ cache, log: opts });
    await live.start();
    expect(live.snapshot).toMatchObject({ version: 4, list: 'list-a' });
    const reads = cache.reads;
    // Another hub's list (wiped and made again) at the same version number.
    await cache.replace(4, (async function* () { yield { category: 'listed' as const, targets: ['+12025550199'] }; })(), 1, 'list-b');
    await vi.waitFor(() => expect(live!.snapshot.list).toBe('list-b'));
    expect(cache.reads).toBe(reads + 1);
    expect(live.snapshot.lookup('+12025550100')).toBeNull();
    expect(live.snapshot.lookup('+12025550199')).not.toBeNull();
  });

  it('rebuilds in the background once the overlay is large, keeping every change', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(1, [number('+12025550100')]));
    const { opts } = logs();
    live = new LiveDno({ cache, log: opts, compactAt: 3 });
    await live.start();
    const reads = cache.reads;
    await cache.apply(delta(1, 2, [number('+12025550101')]));
    await vi.waitFor(() => expect(live!.snapshot.version).toBe(2));
    expect(cache.reads).toBe(reads);
    await cache.apply(delta(2, 3, [number('+12025550102'), number('+12025550103')]));
    await vi.waitFor(() => expect(cache.reads).toBe(reads + 1));
    await live.refresh();
    expect(live.snapshot.version).toBe(3);
    expect(live.snapshot.counts.numbers).toBe(4);
  });

  it('a delta announced while a rebuild reads the cache is in the rebuilt snapshot', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(1, manyNumbers(30_000)));
    const { opts } = logs();
    live = new LiveDno({ cache, log: opts, retryMs: 60_000 });
    await live.start();
    const release = holdReads(cache);
    const rebuilding = live.refresh();
    await vi.waitFor(() => expect(cache.hold).not.toBeNull());
    await cache.apply(delta(1, 2, [number('+12025550100')]));
    // Laid over at once, while the rebuild still reads.
    await vi.waitFor(() => expect(live!.snapshot.version).toBe(2));
    expect(live.snapshot.lookup('+12025550100')).not.toBeNull();
    release();
    await rebuilding;
    await live.refresh();
    expect(live.snapshot.version).toBe(2);
    expect(live.snapshot.lookup('+12025550100')).not.toBeNull();
    expect(live.snapshot.counts.numbers).toBe(30_001);
  });
});

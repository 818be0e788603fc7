import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DnoDelta, DnoEntry } from '../../../proto/messages.js';
import { CoTable } from '../../../agent/dno/cotable.js';
import { LiveDno, type LiveDnoOptions } from '../../../agent/dno/live.js';
import { MemoryDnoCache } from '../../../agent/dno/memory-cache.js';
import type { DnoCache, DnoEntryGroup } from '../../../agent/dno/store.js';
import { delta, full, manyNumbers, number } from './cache-contract.js';

/** A memory cache that can be made unreachable, or deaf to its own changes (a lost pub/sub message). */
class FlakyCache implements DnoCache {
  readonly inner = new MemoryDnoCache();
  down = false;
  deaf = false;
  reads = 0;
  refused = 0;
  /** While set, entries() pauses after its first chunk. */
  hold: Promise<void> | null = null;

  version(): Promise<number> {
    return this.down ? this.refuse() : this.inner.version();
  }
  private refuse(): Promise<never> {
    this.refused++;
    return Promise.reject(new Error('connection refused'));
  }
  apply(d: DnoDelta): Promise<boolean> {
    return this.inner.apply(d);
  }
  replace(version: number, groups: AsyncIterable<DnoEntryGroup>): Promise<void> {
    return this.inner.replace(version, groups);
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
  onChange(listener: (version: number) => void): () => void {
    return this.inner.onChange((v) => {
      if (!this.deaf) listener(v);
    });
  }
  acquireSyncLease(owner: string, ttlMs: number): Promise<boolean> {
    return this.inner.acquireSyncLease(owner, ttlMs);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

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
    live = new LiveDno({ cache, local, co: new CoTable([202_555], []), log: opts });
    await live.start();
    const snap = live.snapshot;
    expect(snap.version).toBe(3);
    expect(snap.lookup('+12025550100')?.category).toBe('listed');
    expect(snap.lookup('+12025550111')?.category).toBe('unassigned');
    expect(snap.unallocated('+12025560100')).toBe('co:202-556');
  });

  it('the local list applies before the first sync', () => {
    const { opts } = logs();
    live = new LiveDno({ cache: new FlakyCache(), local: [number('+12025550111', 'unassigned')], log: opts });
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

  it('a new local list is merged into a rebuilt snapshot', async () => {
    const cache = new FlakyCache();
    await cache.apply(full(1, [number('+12025550100')]));
    const { opts } = logs();
    live = new LiveDno({ cache, local: [number('+12025550111')], log: opts });
    await live.start();
    await live.setLocal([number('+12025550122', 'unassigned')]);
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
});

/**
 * The snapshot the policy server decides with, kept current in the background. A change in the cache (pub/sub,
 * or a version poll that catches a missed message) rebuilds a new snapshot from the cache's entries, the local
 * list file and the CO table, then swaps it in with one assignment: decisions never wait for a rebuild.
 * When the cache cannot be read the last snapshot stays (DESIGN §8) and the rebuild is retried.
 */
import type { Logger } from 'pino';
import type { DnoEntry } from '../../proto/messages.js';
import type { CoTable } from './cotable.js';
import { SnapshotBuilder, type DnoSnapshot } from './snapshot.js';
import { DnoCacheChangedError, type DnoCache } from './store.js';

export interface LiveDnoOptions {
  cache: DnoCache;
  /** Entries of the local list file (`--dno-file`), merged into every snapshot. */
  local?: readonly DnoEntry[];
  /** NANPA CO-code table for the unallocated category. */
  co?: CoTable;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Retry after a failed rebuild. */
  retryMs?: number;
  /** Compare the cache version with the snapshot's this often, for pub/sub messages lost in a reconnect. */
  pollMs?: number;
}

export class LiveDno {
  private current: DnoSnapshot;
  private local: readonly DnoEntry[];
  /** The rebuild running now, and the one queued behind it (at most one: it will read the latest list). */
  private running: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private poll: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failing = false;
  private stopped = false;

  constructor(private readonly opts: LiveDnoOptions) {
    this.local = opts.local ?? [];
    this.current = this.withLocal(new SnapshotBuilder(), 0);
  }

  /** The snapshot to decide with now. */
  get snapshot(): DnoSnapshot {
    return this.current;
  }

  /** Build the first snapshot and follow changes. A failure is logged and retried; the local list applies meanwhile. */
  async start(): Promise<void> {
    this.unsubscribe = this.opts.cache.onChange(() => void this.refresh());
    this.poll = setInterval(() => void this.checkVersion(), this.opts.pollMs ?? 30_000);
    this.poll.unref();
    await this.refresh();
  }

  /** Rebuild from the cache; resolves once a rebuild that started after this call has finished. */
  refresh(): Promise<void> {
    if (this.queued) return this.queued;
    const previous = this.running;
    const next = (async () => {
      // Always awaits, even a settled promise, so `queued` is set before it is cleared here.
      await previous;
      this.queued = null;
      await this.rebuild();
    })();
    this.queued = next;
    this.running = next;
    return next;
  }

  /** Replace the local list (the file was reloaded) and rebuild. */
  setLocal(entries: readonly DnoEntry[]): Promise<void> {
    this.local = entries;
    return this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.poll) clearInterval(this.poll);
    if (this.retry) clearTimeout(this.retry);
  }

  private async rebuild(): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    try {
      const version = await this.opts.cache.version();
      const builder = new SnapshotBuilder();
      for await (const chunk of this.opts.cache.entries()) builder.add(chunk);
      const next = this.withLocal(builder, version);
      this.current = next;
      if (this.failing) this.opts.log.info('DNO cache readable again');
      this.failing = false;
      this.opts.log.info({ version, ...next.counts, ms: Date.now() - started }, 'DNO snapshot rebuilt');
    } catch (err) {
      // A torn read (the list changed while it was read) is not an outage: read the new list.
      if (err instanceof DnoCacheChangedError) {
        void this.refresh();
        return;
      }
      // Logged once per outage; the retries that follow are silent until one succeeds.
      if (!this.failing) {
        const version = this.current.version;
        this.opts.log.warn({ err, version }, 'DNO cache unreadable: deciding with the last snapshot');
      }
      this.failing = true;
      this.scheduleRetry();
    }
  }

  private withLocal(builder: SnapshotBuilder, version: number): DnoSnapshot {
    return builder.add(this.local).build({ version, coAssigned: this.opts.co });
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.refresh();
    }, this.opts.retryMs ?? 5_000);
    this.retry.unref();
  }

  private async checkVersion(): Promise<void> {
    try {
      if ((await this.opts.cache.version()) !== this.current.version) await this.refresh();
    } catch {
      // The rebuild path logs unreachability; a poll tick adds nothing.
      this.scheduleRetry();
    }
  }
}

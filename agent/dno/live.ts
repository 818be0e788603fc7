/**
 * The snapshot the policy server decides with, kept current in the background, and swapped in with one
 * assignment: decisions never wait.
 *
 * - A small hub delta announced by the cache (store.ts DnoAnnouncedChange) is laid over the hub part of the
 *   snapshot at once (overlay.ts): milliseconds, whatever the list's size.
 * - Anything else — a bare version message, a full sync, a version poll that catches a missed message, an
 *   overlay grown large — rebuilds the hub part from the cache's entries in the background; announced changes
 *   that arrive meanwhile are laid over the new part before it is swapped in.
 * - The local list file and the CO table are parts of their own: a new local list is swapped in without
 *   reading the cache.
 * When the cache cannot be read the last snapshot stays (DESIGN §8) and the rebuild is retried.
 */
import type { Logger } from 'pino';
import type { CoTable } from './cotable.js';
import { OverlaidPart } from './overlay.js';
import { composeSnapshot, type DnoSnapshot, ListPart, SnapshotBuilder } from './snapshot.js';
import { type DnoAnnouncedChange, DnoCacheChangedError, type DnoCache, type DnoPosition } from './store.js';
import { releaseGarbage } from '../../config/heap.js';

export interface LiveDnoOptions {
  cache: DnoCache;
  /** The local list file (`--dno-file`) as a packed part (listfile.ts readListPart), in every snapshot. */
  local?: ListPart;
  /** NANPA CO-code table for the unallocated category. */
  co?: CoTable;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Retry after a failed rebuild. */
  retryMs?: number;
  /** Compare the cache version with the snapshot's this often, for pub/sub messages lost in a reconnect. */
  pollMs?: number;
  /** Rebuild the hub part in the background once this many changed entries lie over it. */
  compactAt?: number;
}

const COMPACT_AT = 50_000;

export class LiveDno {
  private current: DnoSnapshot;
  private hub = OverlaidPart.over(ListPart.EMPTY);
  private local: ListPart;
  private at: DnoPosition = { list: null, version: 0 };
  /** Changes laid over the snapshot while a rebuild reads the cache (null when none runs). */
  private duringRebuild: DnoAnnouncedChange[] | null = null;
  /** The rebuild running now, and the one queued behind it (at most one: it will read the latest list). */
  private running: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private poll: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failing = false;
  private stopped = false;

  constructor(private readonly opts: LiveDnoOptions) {
    this.local = opts.local ?? ListPart.EMPTY;
    this.current = this.compose();
  }

  /** The snapshot to decide with now. */
  get snapshot(): DnoSnapshot {
    return this.current;
  }

  /** Build the first snapshot and follow changes. A failure is logged and retried; the local list applies meanwhile. */
  async start(): Promise<void> {
    this.unsubscribe = this.opts.cache.onChange((version, change) => this.heard(version, change));
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

  /** Replace the local list (the file was reloaded): swapped in at once, the hub part is kept. */
  setLocal(part: ListPart): void {
    this.local = part;
    this.current = this.compose();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.poll) clearInterval(this.poll);
    if (this.retry) clearTimeout(this.retry);
  }

  private heard(version: number, change: DnoAnnouncedChange | undefined): void {
    if (change !== undefined && this.layOver(change)) return;
    if (change !== undefined && change.list === this.at.list && change.version <= this.at.version) return;
    // A rebuild reading the cache now lays it over what it read, if that is where the change starts.
    if (change !== undefined && this.duringRebuild !== null) {
      this.duringRebuild.push(change);
      return;
    }
    void this.refresh();
  }

  /** Lay an announced delta over the snapshot when it starts where the snapshot is; false when it does not. */
  private layOver(change: DnoAnnouncedChange): boolean {
    if (this.stopped || change.list !== this.at.list || change.since !== this.at.version) return false;
    try {
      this.hub = this.hub.with(change);
    } catch (err) {
      this.opts.log.warn({ err, version: change.version }, 'DNO delta not applicable to the snapshot: rebuilding');
      return false;
    }
    this.at = { list: change.list, version: change.version };
    this.duringRebuild?.push(change);
    this.current = this.compose();
    if (this.hub.size >= (this.opts.compactAt ?? COMPACT_AT)) void this.refresh();
    return true;
  }

  private async rebuild(): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    this.duringRebuild = [];
    try {
      const before = await this.opts.cache.position();
      const builder = new SnapshotBuilder(this.hub.numbers);
      for await (const chunk of this.opts.cache.entries()) builder.add(chunk);
      const after = await this.opts.cache.position();
      if (after.version !== before.version || after.list !== before.list) throw new DnoCacheChangedError(before.version, after.version);
      let hub = OverlaidPart.over(await builder.partOffThread());
      // Deltas laid over the old snapshot while the cache was read: those past what was read go over the new part.
      let at = before;
      for (const change of this.duringRebuild) {
        if (change.list !== at.list || change.since !== at.version) continue;
        hub = hub.with(change);
        at = { list: change.list, version: change.version };
      }
      if (at.list === this.at.list && at.version < this.at.version) {
        // The snapshot moved past what was read by a chain this rebuild cannot replay: read again.
        void this.refresh();
        return;
      }
      this.hub = hub;
      this.at = at;
      this.current = this.compose();
      // A change heard during the read that the read did not reach: read again.
      if (this.duringRebuild.some((c) => c.list !== at.list || c.version > at.version)) void this.refresh();
      if (this.failing) this.opts.log.info('DNO cache readable again');
      this.failing = false;
      this.opts.log.info({ version: at.version, ...this.current.counts, ms: Date.now() - started }, 'DNO snapshot rebuilt');
      releaseGarbage();
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
    } finally {
      this.duringRebuild = null;
    }
  }

  private compose(): DnoSnapshot {
    return composeSnapshot({ version: this.at.version, list: this.at.list, parts: [this.hub, this.local], ...(this.opts.co && { coAssigned: this.opts.co }) });
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
      const { list, version } = await this.opts.cache.position();
      if (version !== this.at.version || list !== this.at.list) await this.refresh();
    } catch {
      // The rebuild path logs unreachability; a poll tick adds nothing.
      this.scheduleRetry();
    }
  }
}

/**
 * Batches the records a tailer reads into `CallIndex.add` calls, and advances the files' positions only once
 * the index has acknowledged their records (DESIGN §8: nothing is lost). One batch is in the store while the
 * next fills; reading waits (`room`) while the next one is full, so memory stays bounded when the store is
 * down. A failed add or position write is retried with backoff, never dropped and never skipped past: a batch
 * replayed after a failure or a crash writes records the index already holds, and its lookups return each
 * record once (agent/calls/scan.ts).
 */
import type { Logger } from 'pino';
import { CallIndexInputError } from '../calls/errors.js';
import type { CallRecord } from '../calls/record.js';
import { StoreUnavailableError, type CallIndex } from '../calls/store.js';
import { Backoff, pause, type BackoffOptions } from './backoff.js';

export interface BatcherOptions<K, M> {
  index: CallIndex;
  /** Durably records the positions a batch reached (its records are in the index). */
  commit(marks: ReadonlyMap<K, M>): Promise<void>;
  /** A batch is sent once it holds this many records (whole segments: it may exceed it by one)... */
  maxRecords: number;
  /** ...or this long after its first record arrived. */
  maxDelayMs: number;
  backoff: BackoffOptions;
  log: Logger;
  onIndexed(count: number): void;
  /** The index refused a record as bad input (e.g. a value it cannot hold): it is skipped, like a bad line. */
  onRefused(file: string, line: number, reason: string): void;
}

class Batch<K, M> {
  readonly records: CallRecord[] = [];
  /** Where each record came from, for a refusal's log line. */
  readonly files: string[] = [];
  readonly lines: number[] = [];
  readonly marks = new Map<K, M>();

  get empty(): boolean {
    return this.records.length === 0 && this.marks.size === 0;
  }
}

export class Batcher<K, M> {
  private pending = new Batch<K, M>();
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private roomWaiters: (() => void)[] = [];
  private readonly abandon = new AbortController();
  private storeDown = false;

  constructor(private readonly o: BatcherOptions<K, M>) {}

  /** Adds the records of one segment of `file` and the position after it. */
  push(key: K, file: string, records: readonly CallRecord[], lines: readonly number[], mark: M): void {
    const b = this.pending;
    for (let i = 0; i < records.length; i++) {
      b.records.push(records[i] as CallRecord);
      b.files.push(file);
      b.lines.push(lines[i] as number);
    }
    b.marks.set(key, mark);
    if (this.draining) return;
    if (b.records.length >= this.o.maxRecords) this.drain();
    else this.timer ??= setTimeout(() => this.drain(), this.o.maxDelayMs);
  }

  /** Resolves when the next batch has room again (at once unless it is full). */
  room(): Promise<void> {
    if (this.pending.records.length < this.o.maxRecords || this.abandon.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Sends what is pending and waits up to `graceMs` for the store to take it; then gives up: whatever was not
   * acknowledged keeps its old position and is read again on the next start.
   */
  async close(graceMs: number): Promise<void> {
    this.drain();
    const done = this.draining ?? Promise.resolve();
    await Promise.race([done, pause(graceMs, this.abandon.signal)]);
    this.abandon.abort();
    this.wakeReaders();
    await done;
  }

  private drain(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.draining ??= this.sendAll().finally(() => {
      this.draining = undefined;
      if (!this.pending.empty && !this.abandon.signal.aborted) this.timer ??= setTimeout(() => this.drain(), this.o.maxDelayMs);
    });
  }

  private async sendAll(): Promise<void> {
    while (!this.pending.empty && !this.abandon.signal.aborted) {
      const batch = this.pending;
      this.pending = new Batch();
      this.wakeReaders();
      if (!(await this.retrying('index', () => this.index(batch)))) return;
      this.o.onIndexed(batch.records.length);
      if (!(await this.retrying('checkpoint', () => this.o.commit(batch.marks)))) return;
    }
  }

  /** Adds the batch, leaving out (and reporting) every record the index refuses as bad input. */
  private async index(batch: Batch<K, M>): Promise<void> {
    for (;;) {
      if (batch.records.length === 0) return;
      try {
        return await this.o.index.add(batch.records);
      } catch (err) {
        if (!(err instanceof CallIndexInputError)) throw err;
        const i = /^records\[(\d+)\]/.exec(err.path)?.[1];
        // A refusal that names no record (the index's dictionary is full) refuses the whole batch.
        const [from, count] = i === undefined ? [0, batch.records.length] : [Number(i), 1];
        for (let r = from; r < from + count; r++) this.o.onRefused(batch.files[r] as string, batch.lines[r] as number, err.message);
        batch.records.splice(from, count);
        batch.files.splice(from, count);
        batch.lines.splice(from, count);
      }
    }
  }

  /** Runs `step` until it succeeds (true) or the batcher is abandoned (false). */
  private async retrying(what: string, step: () => Promise<void>): Promise<boolean> {
    const backoff = new Backoff(this.o.backoff);
    for (;;) {
      try {
        await step();
        if (this.storeDown) this.o.log.info({ what }, 'store is back: CDR ingestion resumes');
        this.storeDown = false;
        return true;
      } catch (err) {
        if (this.abandon.signal.aborted) return false;
        if (!(err instanceof StoreUnavailableError)) this.o.log.error({ err, what }, 'CDR batch failed: retried');
        else if (!this.storeDown) this.o.log.warn({ err, what }, 'store unavailable: CDR reading pauses, the batch is retried');
        this.storeDown ||= err instanceof StoreUnavailableError;
        await pause(backoff.next(), this.abandon.signal);
        if (this.abandon.signal.aborted) return false;
      }
    }
  }

  private wakeReaders(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Writes the calls the SIP call sources see into the call index, in batches and never on the response path:
 * `push` only stores the record in a bounded ring and returns. A batch leaves every `flushMs`, or at once (on
 * the next turn of the event loop) when `batchSize` records are waiting; one batch is in the store at a time.
 *
 * Unlike CDR files, SIP cannot be read again: when the store is down for long the ring fills and the oldest
 * calls are dropped (and counted) rather than growing memory or slowing answers. A failed batch goes back to
 * the head of the ring and is retried with backoff; a record the index refuses as bad input is dropped alone.
 *
 * A stateless server answers every retransmission of an INVITE: each would be learned again, as a second
 * match of the same call half a second later. A record whose Call-ID was pushed within the last
 * `repeatWindowMs` (two rotating generations of Call-IDs, so memory follows the call rate) is taken for one.
 */
import type { Logger } from 'pino';
import { CallIndexInputError } from '../calls/errors.js';
import type { CallRecord } from '../calls/record.js';
import type { CallIndex } from '../calls/store.js';
import type { SipMetrics } from './metrics.js';
import { ownRecordText } from './own-copy.js';

export interface RecorderOptions {
  index: CallIndex;
  log: Pick<Logger, 'info' | 'warn'>;
  metrics?: Pick<SipMetrics, 'recorded' | 'dropped'>;
  /** Records per `CallIndex.add`. Default 1,000. */
  batchSize?: number;
  /** Longest wait of a record before its batch leaves. Default 250 ms. */
  flushMs?: number;
  /** Records held at most; beyond it the oldest are dropped. Default 200,000 (about 20 s at 10,000 calls/s). */
  capacity?: number;
  /** First retry delay after a failed batch, doubled up to `maxRetryMs`. Defaults 100 ms, 5 s. */
  retryMs?: number;
  maxRetryMs?: number;
  /**
   * A record repeating a Call-ID seen this recently (by record time) is not learned again. Default 4 s: the
   * INVITE retransmissions at 0.5, 1.5 and 3.5 s (RFC 3261 §17.1.1.2, T1 = 500 ms). 0: learn every record.
   */
  repeatWindowMs?: number;
}

export class CallRecorder {
  private readonly ring: (CallRecord | undefined)[];
  private head = 0;
  private size = 0;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;
  private writing: Promise<void> | undefined;
  private failures = 0;
  private droppedTotal = 0;
  private repeatsTotal = 0;
  private readonly repeatWindowMs: number;
  private callIds = new Set<string>();
  private previousCallIds = new Set<string>();
  private generationStart = -Infinity;
  private stopped = false;

  constructor(private readonly o: RecorderOptions) {
    this.batchSize = o.batchSize ?? 1_000;
    this.flushMs = o.flushMs ?? 250;
    this.retryMs = o.retryMs ?? 100;
    this.maxRetryMs = o.maxRetryMs ?? 5_000;
    this.repeatWindowMs = o.repeatWindowMs ?? 4_000;
    this.ring = new Array<CallRecord | undefined>(o.capacity ?? 200_000);
  }

  /** Records waiting for the store. */
  get queued(): number {
    return this.size;
  }

  /** Records dropped because the ring was full. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Records not learned because they repeated a recent Call-ID (retransmissions). */
  get repeats(): number {
    return this.repeatsTotal;
  }

  /** Queue one record; O(1), never waits. */
  push(record: CallRecord): void {
    if (this.stopped) return;
    // Queued records outlive their SIP message: without their own text a Call-ID slice pins the whole datagram.
    ownRecordText(record);
    if (this.isRepeat(record)) return;
    const capacity = this.ring.length;
    if (this.size === capacity) {
      // Full: the new record takes the oldest one's slot.
      this.ring[this.head] = record;
      this.head = (this.head + 1) % capacity;
      this.drop('overflow', 1);
    } else {
      this.ring[(this.head + this.size) % capacity] = record;
      this.size++;
    }
    this.schedule();
  }

  /** Write everything queued now; resolves when the store has taken it or a write failed. */
  async flush(): Promise<void> {
    while (this.size > 0 || this.writing) {
      if (!this.writing) this.write();
      const before = this.failures;
      await this.writing;
      if (this.failures > before) return;
    }
  }

  /** Stop taking records; give the store up to `graceMs` to take what is queued, then give up on it. */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    let timeout: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timeout = setTimeout(resolve, graceMs)));
    await Promise.race([this.flush(), gaveUp]);
    clearTimeout(timeout);
    if (this.size > 0) this.o.log.warn({ calls: this.size }, 'stopping with SIP calls not yet indexed');
  }

  private isRepeat(record: CallRecord): boolean {
    const callId = record.callId;
    if (callId === undefined || this.repeatWindowMs <= 0) return false;
    // Two generations of one window each: a Call-ID is remembered for at least the window, at most twice it.
    if (record.at - this.generationStart >= this.repeatWindowMs) {
      this.previousCallIds = this.callIds;
      this.callIds = new Set();
      this.generationStart = record.at;
    }
    if (this.callIds.has(callId) || this.previousCallIds.has(callId)) {
      this.repeatsTotal++;
      return true;
    }
    this.callIds.add(callId);
    return false;
  }

  private schedule(): void {
    if (this.writing || this.failures > 0) return;
    if (this.size >= this.batchSize) {
      // Off the caller's turn: the answer to the packet goes out first.
      this.soon ??= setImmediate(() => {
        this.soon = undefined;
        this.write();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.write();
      }, this.flushMs);
    }
  }

  private write(): void {
    if (this.writing || this.size === 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.take(Math.min(this.size, this.batchSize));
    this.writing = this.o.index.add(batch).then(
      () => this.written(batch),
      (err: unknown) => this.failed(batch, err),
    );
  }

  private written(batch: CallRecord[]): void {
    this.writing = undefined;
    this.o.metrics?.recorded(batch.length);
    if (this.failures > 0) this.o.log.info({ queued: this.size }, 'call index writable again: SIP calls are being indexed');
    this.failures = 0;
    if (this.size > 0 && !this.stopped) this.schedule();
  }

  private failed(batch: CallRecord[], err: unknown): void {
    this.writing = undefined;
    if (err instanceof CallIndexInputError) {
      const at = /^records\[([0-9]+)\]/.exec(err.path);
      const bad = at ? Number(at[1]) : -1;
      this.o.log.warn({ err, record: batch[bad] }, 'call index refused a SIP call record: dropped');
      // Without a record index the whole batch is suspect.
      const rest = bad >= 0 ? batch.filter((_, i) => i !== bad) : [];
      this.drop('refused', batch.length - rest.length);
      this.putBack(rest);
      if (!this.stopped) this.write();
      return;
    }
    if (this.failures === 0) this.o.log.warn({ err, queued: this.size + batch.length }, 'call index unwritable: queueing SIP calls');
    this.failures++;
    this.putBack(batch);
    if (this.stopped) return;
    const delay = Math.min(this.retryMs * 2 ** (this.failures - 1), this.maxRetryMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, delay);
  }

  private take(n: number): CallRecord[] {
    const capacity = this.ring.length;
    const batch = new Array<CallRecord>(n);
    for (let i = 0; i < n; i++) {
      batch[i] = this.ring[this.head] as CallRecord;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % capacity;
    }
    this.size -= n;
    return batch;
  }

  /** Back at the head, in order; when the ring filled meanwhile, the oldest of them are the ones dropped. */
  private putBack(batch: readonly CallRecord[]): void {
    const capacity = this.ring.length;
    let i = batch.length - 1;
    for (; i >= 0 && this.size < capacity; i--) {
      this.head = (this.head - 1 + capacity) % capacity;
      this.ring[this.head] = batch[i];
      this.size++;
    }
    if (i >= 0) this.drop('overflow', i + 1);
  }

  private drop(reason: 'overflow' | 'refused', n: number): void {
    if (reason === 'overflow') this.droppedTotal += n;
    this.o.metrics?.dropped(reason, n);
  }
}

/** The recorder between the SIP answer path and the call index: batches, flush timing, outages, overflow. */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CallIndexInputError } from '../../../agent/calls/errors.js';
import type { CallRecord } from '../../../agent/calls/record.js';
import { StoreUnavailableError, type CallIndex } from '../../../agent/calls/store.js';
import { CallRecorder, type RecorderOptions } from '../../../agent/sip/recorder.js';

/** A call index that keeps what it is given, and can be made to fail. */
class FakeIndex implements CallIndex {
  batches: CallRecord[][] = [];
  down = false;
  /** Refuse the record with this Call-ID as bad input. */
  refuse: string | undefined;
  adds = 0;

  async add(records: readonly CallRecord[]): Promise<void> {
    this.adds++;
    if (this.down) throw new StoreUnavailableError('add');
    const bad = records.findIndex((r) => r.callId === this.refuse);
    if (bad >= 0) throw new CallIndexInputError(`records[${bad}].called`, 'must be E.164');
    this.batches.push([...records]);
  }
  async lookup(): Promise<CallRecord[]> {
    return [];
  }
  async ping(): Promise<boolean> {
    return !this.down;
  }
  async close(): Promise<void> {}

  get stored(): string[] {
    return this.batches.flat().map((r) => r.callId ?? '');
  }
}

const record = (n: number): CallRecord => ({
  at: 1_767_225_600_000 + n,
  calling: '+13125550117',
  called: '+12025550143',
  source: 'sip',
  ingress: { ip: '127.0.0.1', port: 5060 },
  callId: `c${n}`,
});
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `c${from + i}`);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const counts = { recorded: 0, overflow: 0, refused: 0 };
let recorder: CallRecorder | undefined;
function start(index: CallIndex, o: Partial<RecorderOptions> = {}): CallRecorder {
  counts.recorded = counts.overflow = counts.refused = 0;
  recorder = new CallRecorder({
    index,
    log: pino({ level: 'silent' }),
    metrics: { recorded: (n) => (counts.recorded += n), dropped: (reason, n) => (counts[reason] += n) },
    ...o,
  });
  return recorder;
}
afterEach(async () => {
  await recorder?.stop(50);
  recorder = undefined;
});

describe('CallRecorder', () => {
  it('takes a record without touching the store on the caller\'s turn', () => {
    const index = new FakeIndex();
    const r = start(index, { batchSize: 1 });
    r.push(record(0));
    expect([index.adds, r.queued]).toEqual([0, 1]);
  });

  it('sends a full batch on the next turn and a partial one after flushMs', async () => {
    const index = new FakeIndex();
    const r = start(index, { batchSize: 3, flushMs: 100 });
    for (let i = 0; i < 4; i++) r.push(record(i));
    await pause(10);
    expect(index.batches.map((b) => b.length)).toEqual([3]);
    await pause(150);
    expect(index.batches.map((b) => b.length)).toEqual([3, 1]);
    expect([index.stored, counts.recorded]).toEqual([ids(0, 4), 4]);
  });

  it('keeps records while the store is down and writes them in order once it is back', async () => {
    const index = new FakeIndex();
    index.down = true;
    const r = start(index, { batchSize: 2, flushMs: 5, retryMs: 10, maxRetryMs: 20 });
    for (let i = 0; i < 5; i++) r.push(record(i));
    await pause(60);
    expect([index.stored, r.queued]).toEqual([[], 5]);
    expect(index.adds).toBeGreaterThan(1);
    index.down = false;
    r.push(record(5));
    await pause(100);
    expect([index.stored, r.queued, counts.overflow]).toEqual([ids(0, 6), 0, 0]);
  });

  it('drops the oldest records, counted, when the store stays down past the capacity', async () => {
    const index = new FakeIndex();
    index.down = true;
    const r = start(index, { batchSize: 2, capacity: 4, flushMs: 5, retryMs: 10, maxRetryMs: 10 });
    for (let i = 0; i < 10; i++) r.push(record(i));
    await pause(30);
    expect([r.queued, r.dropped, counts.overflow]).toEqual([4, 6, 6]);
    index.down = false;
    await pause(60);
    expect(index.stored).toEqual(ids(6, 10));
  });

  it('drops a record the index refuses as bad input and writes the rest of its batch', async () => {
    const index = new FakeIndex();
    index.refuse = 'c1';
    const r = start(index, { batchSize: 3, flushMs: 5 });
    for (let i = 0; i < 3; i++) r.push(record(i));
    await pause(30);
    expect([index.stored, counts.refused]).toEqual([['c0', 'c2'], 1]);
  });

  it('learns a retransmitted INVITE once: a Call-ID repeated within the window is skipped, a later one is not', async () => {
    const index = new FakeIndex();
    const r = start(index, { batchSize: 100, flushMs: 5, repeatWindowMs: 4_000 });
    const at = (n: number, ms: number): CallRecord => ({ ...record(n), at: 1_767_225_600_000 + ms });
    for (const [n, ms] of [[0, 0], [1, 100], [0, 500], [0, 1_500], [1, 3_600], [0, 3_500], [2, 5_000], [0, 9_100]] as const) r.push(at(n, ms));
    await pause(30);
    expect([index.stored, r.repeats]).toEqual([['c0', 'c1', 'c2', 'c0'], 4]);
  });

  it('flushes what is queued on stop, and gives up after the grace time if the store is down', async () => {
    const index = new FakeIndex();
    const r = start(index, { batchSize: 100, flushMs: 10_000 });
    for (let i = 0; i < 3; i++) r.push(record(i));
    await r.stop(1_000);
    expect(index.stored).toEqual(ids(0, 3));

    const downIndex = new FakeIndex();
    downIndex.down = true;
    const stuck = start(downIndex, { batchSize: 100, flushMs: 10_000 });
    stuck.push(record(0));
    const began = Date.now();
    await stuck.stop(100);
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(stuck.queued).toBe(1);
    stuck.push(record(1));
    expect(stuck.queued).toBe(1);
  });
});

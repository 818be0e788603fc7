/** A call index that keeps the records exactly as a call source handed them over, and can wait for them. */
import type { CallRecord } from '../../../agent/calls/record.js';
import type { CallIndex } from '../../../agent/calls/store.js';

export class RecordingIndex implements CallIndex {
  records: CallRecord[] = [];

  async add(records: readonly CallRecord[]): Promise<void> {
    this.records.push(...records);
  }

  async lookup(): Promise<CallRecord[]> {
    return this.records;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}

  /** The records once `n` of them arrived (or whatever came within 2 s). */
  async waitFor(n: number): Promise<CallRecord[]> {
    for (let i = 0; i < 100 && this.records.length < n; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.records;
  }
}

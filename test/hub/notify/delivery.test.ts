import { describe, expect, it } from 'vitest';
import { backoffMs, delivered, failed, newDelivery, requeued, type RetryPolicy } from '../../../hub/notify/delivery.js';

const policy: RetryPolicy = { maxAttempts: 4, backoffMs: 1000, maxBackoffMs: 5000, jitter: 0.5 };
const fresh = () => newDelivery({ id: 'ntf_1', subscriber: 'fbi', url: 'https://fbi.example.org/', kind: 'referral', caseId: 'c1', body: '{}' }, 100);

describe('delivery retry schedule', () => {
  it.each([
    [1, 0, 1000],
    [2, 0, 2000],
    [3, 0, 4000],
    [4, 0, 5000], // capped
    [30, 0, 5000],
    [2, 0.999, 1001], // jitter shortens by up to half
    [3, 0.5, 3000],
  ])('after failure %i with random %f waits %i ms', (failures, random, ms) => {
    expect(backoffMs(failures, policy, random)).toBe(ms);
  });

  it('retries after each failure until the limit, then dead-letters with the last error', () => {
    let d = fresh();
    const times: number[] = [];
    for (let i = 1; i < policy.maxAttempts; i++) {
      d = failed(d, `receiver answered 503 (${i})`, 1000 * i, policy, 0);
      expect(d.state).toBe('pending');
      times.push(d.nextAt - 1000 * i);
    }
    expect(times).toEqual([1000, 2000, 4000]);
    d = failed(d, 'ECONNREFUSED: connect refused', 9000, policy, 0);
    expect(d).toMatchObject({ state: 'dead', attempts: 4, failures: 4, deadAt: 9000, lastError: 'ECONNREFUSED: connect refused', id: 'ntf_1' });
  });

  it('redelivery makes a dead letter due now with its budget renewed and the same idempotency key; success clears the error', () => {
    let d = fresh();
    for (let i = 0; i < policy.maxAttempts; i++) d = failed(d, 'down', 10, policy, 0);
    const again = requeued(d, 500);
    expect(again).toMatchObject({ id: 'ntf_1', state: 'pending', failures: 0, attempts: 4, nextAt: 500, lastError: 'down' });
    expect(again.deadAt).toBeUndefined();
    const ok = delivered(again, 600);
    expect(ok).toMatchObject({ state: 'delivered', attempts: 5, deliveredAt: 600 });
    expect(ok.lastError).toBeUndefined();
  });
});

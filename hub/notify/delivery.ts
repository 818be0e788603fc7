/**
 * One notification on its way to one subscriber, and how its state moves: stored `pending` before the first
 * attempt; `delivered` on a 2xx; after a failure, pending again after an exponential backoff with jitter, until
 * `maxAttempts` failures in a row make it `dead` (a dead letter keeping the last error); redelivery on demand
 * makes any delivery pending again with a fresh attempt budget. Its id is the notification's idempotency key, so
 * the same notification is stored once. Pure: time and randomness come in.
 */
import type { NotificationKind } from './document.js';

export type DeliveryState = 'pending' | 'delivered' | 'dead';

export interface Delivery {
  /** The notification's idempotency key. */
  id: string;
  subscriber: string;
  url: string;
  kind: NotificationKind;
  caseId: string;
  /** The sealed notification as JSON text: every attempt sends exactly these bytes. */
  body: string;
  state: DeliveryState;
  /** Attempts made, ever. */
  attempts: number;
  /** Failed attempts since the delivery was (re)queued. */
  failures: number;
  createdAt: number;
  /** When the next attempt is due (pending). */
  nextAt: number;
  lastAttemptAt?: number;
  lastError?: string;
  deliveredAt?: number;
  deadAt?: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** 0..1: each wait is shortened by up to this fraction. */
  jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 8, backoffMs: 2000, maxBackoffMs: 3_600_000, jitter: 0.2 };

/** The wait after the `failures`-th failure in a row: backoff·2^(failures−1), capped, less up to `jitter` of it. */
export function backoffMs(failures: number, p: RetryPolicy, random: number): number {
  const full = Math.min(p.maxBackoffMs, p.backoffMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(full * (1 - p.jitter * random));
}

export function newDelivery(d: Pick<Delivery, 'id' | 'subscriber' | 'url' | 'kind' | 'caseId' | 'body'>, now: number): Delivery {
  return { ...d, state: 'pending', attempts: 0, failures: 0, createdAt: now, nextAt: now };
}

export function delivered(d: Delivery, now: number): Delivery {
  const { lastError: _e, deadAt: _d, ...rest } = d;
  return { ...rest, state: 'delivered', attempts: d.attempts + 1, failures: 0, lastAttemptAt: now, deliveredAt: now, nextAt: now };
}

/** `random` in [0, 1): where the jitter falls. */
export function failed(d: Delivery, error: string, now: number, p: RetryPolicy, random: number): Delivery {
  const failures = d.failures + 1;
  const after = { ...d, attempts: d.attempts + 1, failures, lastAttemptAt: now, lastError: error.slice(0, 500) };
  if (failures >= p.maxAttempts) return { ...after, state: 'dead', deadAt: now, nextAt: now };
  return { ...after, state: 'pending', nextAt: now + backoffMs(failures, p, random) };
}

/** Redelivery on demand: due now, with the whole attempt budget again; the idempotency key stays. */
export function requeued(d: Delivery, now: number): Delivery {
  const { deadAt: _d, ...rest } = d;
  return { ...rest, state: 'pending', failures: 0, nextAt: now };
}

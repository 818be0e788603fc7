/**
 * Prometheus metrics of the hub's notifications: every delivery attempt's result by kind and outcome (delivered,
 * retried, dead-lettered) and the time from a notification being stored to its delivery, both counted by the
 * instance that sent it (sum them over instances); and, read from the store when scraped, the deliveries still
 * pending (waiting for their first attempt or a retry: the queue's depth, shared by every instance).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Delivery } from './delivery.js';
import type { Notifier } from './notifier.js';

export type AttemptOutcome = 'delivered' | 'retried' | 'dead_lettered';

/** What one stored attempt result was: a failure that will be tried again is `retried`. */
function attemptOutcome(after: Delivery): AttemptOutcome {
  return after.state === 'delivered' ? 'delivered' : after.state === 'dead' ? 'dead_lettered' : 'retried';
}

export function notifyMetrics(registry: Registry, notifier: Pick<Notifier, 'onAttempt' | 'pendingDeliveries'>): void {
  const registers = [registry];
  const attempts = new Counter({
    name: 'hoptrace_hub_notification_deliveries_total',
    help: 'Delivery attempts of referrals and notices by their result: delivered, retried (failed, tried again later), dead_lettered (failed its last attempt)',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  const latency = new Histogram({
    name: 'hoptrace_hub_notification_delivery_seconds',
    help: 'Time from a notification being stored to a receiver accepting it, retries included (a redelivery counts from the first store)',
    labelNames: ['kind'],
    // A receiver that answers at once takes milliseconds; one that is down for a while, the backoff's hours.
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600],
    registers,
  });
  notifier.onAttempt((_before, after) => {
    const outcome = attemptOutcome(after);
    attempts.inc({ kind: after.kind, outcome });
    if (outcome === 'delivered' && after.deliveredAt !== undefined) latency.observe({ kind: after.kind }, Math.max(0, after.deliveredAt - after.createdAt) / 1000);
  });
  new Gauge({
    name: 'hoptrace_hub_notification_deliveries_pending',
    help: 'Referrals and notices stored and not yet delivered or dead-lettered (due, waiting for a retry, or being sent)',
    registers,
    async collect() {
      // An unreachable store keeps the last value (hoptrace_hub_store_up says the hub store is down), not a failed scrape.
      const n = await notifier.pendingDeliveries().catch(() => undefined);
      if (n !== undefined) this.set(n);
    },
  });
}

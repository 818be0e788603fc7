/**
 * The delivery queue: claims due deliveries from the store (exactly one hub instance sends each), sends them a
 * few at a time, and stores each result before the next claim. Nothing lives only here: a delivery is stored
 * before its first attempt, a claimed one is leased (a hub killed mid-send leaves it to be claimed again when
 * the lease ends, the receiver dropping the duplicate by its idempotency key), so a restarted hub resumes every
 * pending delivery on its own. Delivered records are kept `keepDeliveredMs`, then trimmed by the instance that
 * drains; dead letters stay until they are redelivered or dropped by a person.
 */
import type { Logger } from 'pino';
import { type Delivery, delivered, failed, requeued, type RetryPolicy } from './delivery.js';
import type { WebhookSender } from './sender.js';
import type { DropResult, NotifyStore } from './store.js';

export interface QueueOptions {
  store: NotifyStore;
  sender: Pick<WebhookSender, 'send'>;
  policy: RetryPolicy;
  timeoutMs: number;
  concurrency: number;
  log: Logger;
  now?: () => number;
  random?: () => number;
  /** How often due deliveries are claimed, ms (default 250); `kick()` claims at once. */
  tickMs?: number;
  /** How long a delivered record is kept, ms; then it is trimmed (at most once a TRIM_EVERY_MS per instance). */
  keepDeliveredMs: number;
}

/** The result of one attempt, once stored: `before` as claimed, `after` as saved. */
export type AttemptListener = (before: Delivery, after: Delivery) => void;

/** How often an instance trims old delivered records, and how many it forgets per store call. */
export const TRIM_EVERY_MS = 60_000;
const TRIM_BATCH = 500;

export class UnknownDeliveryError extends Error {
  override readonly name = 'UnknownDeliveryError';
  constructor(readonly id: string) {
    super(`no such delivery: ${id}`);
  }
}

export class NotDeadLetterError extends Error {
  override readonly name = 'NotDeadLetterError';
  constructor(
    readonly id: string,
    readonly state: Exclude<DropResult, 'dropped'>,
  ) {
    super(`delivery ${id} is ${state}, not a dead letter: only a dead letter can be dropped`);
  }
}

export class DeliveryQueue {
  private readonly now: () => number;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private trimmedAt = Number.NEGATIVE_INFINITY;
  private readonly listeners = new Set<AttemptListener>();

  constructor(private readonly o: QueueOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
  }

  start(): void {
    this.timer ??= setInterval(() => this.kick(), this.o.tickMs ?? 250);
    this.kick();
  }

  /** Claim and send what is due now, once started (one run at a time; a kick during a run makes it run again). */
  kick(): void {
    if (!this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops claiming; waits for the sends under way and stores their results. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Makes a delivery (dead, delivered or waiting) due now, with its attempt budget renewed. */
  async redeliver(id: string): Promise<Delivery> {
    const d = await this.o.store.getDelivery(id);
    if (!d) throw new UnknownDeliveryError(id);
    const again = requeued(d, this.now());
    await this.o.store.saveDelivery(again);
    this.o.log.info({ delivery: id, subscriber: d.subscriber, was: d.state }, 'delivery queued again');
    this.kick();
    return again;
  }

  /** Forgets a dead letter for good (a person decided it will never be sent); nothing else can be dropped. */
  async drop(id: string): Promise<void> {
    const r = await this.o.store.dropDead(id);
    if (r === undefined) throw new UnknownDeliveryError(id);
    if (r !== 'dropped') throw new NotDeadLetterError(id, r);
    this.o.log.info({ delivery: id }, 'dead letter dropped');
  }

  /** Tells `listener` of every attempt's result once it is stored. */
  onAttempt(listener: AttemptListener): void {
    this.listeners.add(listener);
  }

  private async drain(): Promise<void> {
    // A claim outlives any send: the sender gives up after timeoutMs, the result is stored right after.
    const leaseMs = this.o.timeoutMs * 3 + 5000;
    try {
      for (;;) {
        const claimed = await this.o.store.claimDue(this.now(), this.o.concurrency, leaseMs);
        await Promise.all(claimed.map((d) => this.attempt(d)));
        if (claimed.length < this.o.concurrency) break;
      }
      await this.trim();
    } catch (err) {
      this.o.log.warn({ err }, 'delivery queue: store unavailable; retrying');
    }
  }

  /** Retention of delivered records, from the drain loop: once a TRIM_EVERY_MS, in batches until none is old. */
  private async trim(): Promise<void> {
    const now = this.now();
    if (now - this.trimmedAt < TRIM_EVERY_MS) return;
    this.trimmedAt = now;
    let trimmed = 0;
    for (;;) {
      const n = await this.o.store.trimDelivered(now - this.o.keepDeliveredMs, TRIM_BATCH);
      trimmed += n;
      if (n < TRIM_BATCH) break;
    }
    if (trimmed) this.o.log.info({ trimmed }, 'delivered notifications past their retention forgotten');
  }

  private async attempt(d: Delivery): Promise<void> {
    const r = await this.o.sender.send(d);
    const next = r.ok ? delivered(d, this.now()) : failed(d, r.error, this.now(), this.o.policy, this.random());
    await this.o.store.saveDelivery(next);
    for (const l of this.listeners) l(d, next);
    const at = { delivery: d.id, subscriber: d.subscriber, kind: d.kind, caseId: d.caseId, attempt: next.attempts };
    if (next.state === 'delivered') this.o.log.info(at, 'notification delivered');
    else if (next.state === 'dead') this.o.log.warn({ ...at, error: next.lastError }, 'notification dead-lettered after its last attempt');
    else this.o.log.info({ ...at, error: next.lastError, retryAt: new Date(next.nextAt).toISOString() }, 'notification delivery failed; will retry');
  }
}

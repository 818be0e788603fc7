/** Opens the hub's notifications: the store (Redis when configured, else embedded), the sender, the queue, the notifier. */
import type { Logger } from 'pino';
import type { HubConfig } from '../../config/hub.js';
import type { KeyPair } from '../../proto/keys.js';
import type { HubStore } from '../store/store.js';
import { MemoryNotifyStore } from './memory-store.js';
import { Notifier } from './notifier.js';
import { DeliveryQueue } from './queue.js';
import { RedisNotifyStore } from './redis-store.js';
import { WebhookSender } from './sender.js';
import type { NotifyStore } from './store.js';

export interface HubNotify {
  notifier: Notifier;
  store: NotifyStore;
  /** Starts sending (pending deliveries of an earlier run first: they are due). */
  start(): void;
  /** Stores what the hooks were told, waits for the sends under way, closes. */
  stop(): Promise<void>;
}

export interface OpenNotifyOptions {
  cfg: HubConfig['notify'];
  redisUrl?: string | undefined;
  /** `redisUrl` is a seed of a Redis Cluster. */
  cluster?: boolean | undefined;
  keyPrefix?: string;
  hubId: string;
  key: KeyPair;
  cases: Pick<HubStore, 'listCases'>;
  log: Logger;
  publicUrl: () => string;
  now?: () => number;
  random?: () => number;
  tickMs?: number;
}

export function openNotify(o: OpenNotifyOptions): HubNotify {
  const store: NotifyStore = o.redisUrl ? new RedisNotifyStore({ url: o.redisUrl, cluster: o.cluster, ...(o.keyPrefix && { keyPrefix: o.keyPrefix }) }) : new MemoryNotifyStore();
  const timeoutMs = o.cfg.timeoutSec * 1000;
  const sender = new WebhookSender(timeoutMs);
  const log = o.log.child({ part: 'notify' });
  const queue = new DeliveryQueue({
    store,
    sender,
    policy: { maxAttempts: o.cfg.maxAttempts, backoffMs: o.cfg.backoffSec * 1000, maxBackoffMs: o.cfg.maxBackoffSec * 1000, jitter: o.cfg.jitter },
    timeoutMs,
    concurrency: o.cfg.concurrency,
    keepDeliveredMs: o.cfg.keepDeliveredDays * 86_400_000,
    log,
    ...(o.now && { now: o.now }),
    ...(o.random && { random: o.random }),
    ...(o.tickMs !== undefined && { tickMs: o.tickMs }),
  });
  const notifier = new Notifier({ hubId: o.hubId, key: o.key, store, cases: o.cases, queue, log, publicUrl: o.publicUrl, ...(o.now && { now: o.now }) });
  return {
    notifier,
    store,
    start: () => queue.start(),
    async stop() {
      await notifier.settled();
      await queue.stop();
      await sender.close();
      await store.close();
    },
  };
}

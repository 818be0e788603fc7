/**
 * The hub's outgoing side: told by the hub when a case ends or a hop falls to people (hub/hub.ts CaseHooks), it
 * builds the notifications every subscription covers — referral packages, provider notices, manual-hop requests
 * — seals each for its subscriber and stores it as a delivery; the queue sends it. The hooks return at once: the
 * traceback's own transition never waits for a webhook.
 */
import type { Logger } from 'pino';
import type { KeyPair } from '../../proto/keys.js';
import { publicKeyToRaw } from '../../proto/keys.js';
import { parse, type HopQuery } from '../../proto/messages.js';
import type { Case } from '../case.js';
import { buildEvidence } from '../evidence.js';
import { manualLinkUrl, signManualLink } from '../manual.js';
import type { HubStore } from '../store/store.js';
import { TtlCache } from '../ttl-cache.js';
import { type Delivery, newDelivery } from './delivery.js';
import { type NotificationKind, sealNotification } from './document.js';
import { manualHopNotice, providerNotices } from './notices.js';
import type { AttemptListener, DeliveryQueue } from './queue.js';
import { referralBody } from './referral.js';
import type { DeliveryFilter, NotifyStore } from './store.js';
import { coversReferral, noticeReceivers, type Subscriber, SubscriberInput } from './subscriber.js';

export interface NotifierOptions {
  hubId: string;
  key: KeyPair;
  store: NotifyStore;
  /** The hub's case store: the campaign context of a referral. */
  cases: Pick<HubStore, 'listCases'>;
  queue: DeliveryQueue;
  log: Logger;
  /** Where people reach the hub (the manual-answer page's origin); read when a link is made. */
  publicUrl: () => string;
  now?: () => number;
}

/** How long the subscriber list is used without reading it again: it is read at every case end. */
const SUBSCRIBERS_CACHE_MS = 1000;

export class Notifier {
  private readonly now: () => number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Changes made through this notifier are seen at once, other hub instances' within SUBSCRIBERS_CACHE_MS. */
  private readonly subscribers = new TtlCache<Subscriber[]>(SUBSCRIBERS_CACHE_MS);

  constructor(private readonly o: NotifierOptions) {
    this.now = o.now ?? Date.now;
  }

  // ---- the hub's hooks ----

  /** A case ended: referrals to every subscription that covers it, notices to the providers it names. */
  ended(c: Case): void {
    this.track(c.id, this.onEnded(c));
  }

  /** A hop is waiting for people: the signed answer link goes to the provider's notification endpoint. */
  manualHop(c: Case, provider: string, query: HopQuery): void {
    this.track(c.id, this.onManualHop(c, provider, query));
  }

  /** Until every notification the hooks were told of is stored. */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  // ---- subscribers and deliveries (API, CLI) ----

  async addSubscriber(body: unknown): Promise<Subscriber> {
    const input = parse(SubscriberInput, body);
    const prev = await this.o.store.getSubscriber(input.id);
    const s: Subscriber = {
      ...input,
      createdAt: prev?.createdAt ?? this.now(),
      verifyWith: { hubId: this.o.hubId, kid: this.o.key.kid, publicKey: publicKeyToRaw(this.o.key.publicKey) },
    };
    await this.o.store.putSubscriber(s);
    this.subscribers.forget();
    this.o.log.info({ subscriber: s.id, kind: s.kind, receives: s.receives }, 'subscriber registered');
    return s;
  }

  listSubscribers(): Promise<Subscriber[]> {
    return this.o.store.listSubscribers();
  }

  async removeSubscriber(id: string): Promise<boolean> {
    const removed = await this.o.store.removeSubscriber(id);
    this.subscribers.forget();
    if (removed) this.o.log.info({ subscriber: id }, 'subscriber removed');
    return removed;
  }

  listDeliveries(filter: DeliveryFilter): Promise<Delivery[]> {
    return this.o.store.listDeliveries(filter);
  }

  getDelivery(id: string): Promise<Delivery | undefined> {
    return this.o.store.getDelivery(id);
  }

  redeliver(id: string): Promise<Delivery> {
    return this.o.queue.redeliver(id);
  }

  /** Forgets a dead letter for good (only a dead letter). */
  dropDeadLetter(id: string): Promise<void> {
    return this.o.queue.drop(id);
  }

  pendingDeliveries(): Promise<number> {
    return this.o.store.countPending();
  }

  /** Tells `listener` of every delivery attempt's stored result (metrics). */
  onAttempt(listener: AttemptListener): void {
    this.o.queue.onAttempt(listener);
  }

  // ---- building and storing ----

  private async onEnded(c: Case): Promise<void> {
    const subs = await this.current();
    const referred = subs.filter((s) => coversReferral(s, c));
    if (referred.length) {
      const now = this.now();
      const evidence = buildEvidence(c, this.o.hubId, this.o.key, now);
      const campaign = c.campaign === undefined ? [] : await this.o.cases.listCases({ campaign: c.campaign });
      const body = referralBody(c, evidence, campaign);
      for (const s of referred) await this.enqueue(s, 'referral', c, body);
    }
    for (const notice of providerNotices(c)) {
      const to = noticeReceivers(subs, notice.provider);
      if (!to.length) this.o.log.info({ caseId: c.id, provider: notice.provider, reason: notice.reason }, 'provider has no notification endpoint; notice not sent');
      for (const s of to) await this.enqueue(s, 'provider-notice', c, notice, notice.reason);
    }
    this.o.queue.kick();
  }

  private async onManualHop(c: Case, provider: string, query: HopQuery): Promise<void> {
    const to = noticeReceivers(await this.current(), provider);
    if (!to.length) {
      this.o.log.info({ caseId: c.id, provider }, 'provider has no notification endpoint; its manual hop is listed at GET /v1/manual only');
      return;
    }
    const now = this.now();
    const token = signManualLink({ caseId: c.id, queryId: query.queryId, provider, expires: Date.parse(query.deadline) }, this.o.hubId, this.o.key, now);
    const link = manualLinkUrl(this.o.publicUrl(), token);
    const notice = manualHopNotice(c, provider, query.askedBy, query.deadline, link);
    for (const s of to) await this.enqueue(s, 'manual-hop', c, notice, query.queryId);
    this.o.queue.kick();
  }

  /** Seals the notification for `s` and stores it as a delivery (once: its id is the idempotency key). */
  private async enqueue(s: Subscriber, kind: NotificationKind, c: Case, body: unknown, about?: string): Promise<void> {
    const now = this.now();
    const doc = sealNotification({ kind, caseId: c.id, to: { subscriber: s.id, name: s.name }, body, ...(about !== undefined && { about }) }, this.o.hubId, this.o.key, now);
    const stored = await this.o.store.addDelivery(newDelivery({ id: doc.idempotencyKey, subscriber: s.id, url: s.url, kind, caseId: c.id, body: JSON.stringify(doc) }, now));
    if (stored) this.o.log.info({ caseId: c.id, subscriber: s.id, kind, delivery: doc.idempotencyKey }, 'notification stored for delivery');
  }

  private current(): Promise<Subscriber[]> {
    return this.subscribers.get('', () => this.o.store.listSubscribers());
  }

  private track(caseId: string, work: Promise<void>): void {
    const p = work.catch((err: unknown) => this.o.log.error({ caseId, err }, 'notifications of a case could not be stored'));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}

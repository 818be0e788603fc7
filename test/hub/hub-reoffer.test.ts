/**
 * What a hub that died kept from its hooks (issue 9): a case's end, or a manual hop, is stored before the notifier
 * stores its deliveries. A hub started with a notifier offers the recently ended cases and the waiting manual hops
 * again; the notify store keeps one delivery per idempotency key, so starting again and again adds nothing.
 * Each "hub" here is a new Hub (and notifier) on the stores the dead one left: memory, and a real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubConfig } from '../../config/hub.js';
import { defaultEngineConfig } from '../../hub/engine.js';
import { Hub } from '../../hub/hub.js';
import { idempotencyKey } from '../../hub/notify/document.js';
import { type HubNotify, openNotify } from '../../hub/notify/open.js';
import { MemoryHubStore } from '../../hub/store/memory-store.js';
import { RedisHubStore } from '../../hub/store/redis-store.js';
import type { HubStore } from '../../hub/store/store.js';
import { generateKeyPair } from '../../proto/keys.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { provider, silent } from './harness.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };
const NOTIFY: HubConfig['notify'] = { maxAttempts: 3, backoffSec: 1, maxBackoffSec: 1, jitter: 0, timeoutSec: 1, concurrency: 1, keepDeliveredDays: 30 };
const key = generateKeyPair('hub-reoffer');

/** A clock the test moves, and the stores a hub leaves behind when it dies. */
interface World {
  now: number;
  store: HubStore;
  /** A notifier on the world's notify store (the queue is not started: deliveries stay as stored). */
  notify(): HubNotify;
}

function hubOn(w: World, notify?: HubNotify): Hub {
  return new Hub({ id: 'hub', key, store: w.store, log: silent, now: () => w.now, tickMs: 60_000, engine: { ...defaultEngineConfig, agentDeadlineMs: 1000, agentRetries: 0 }, ...(notify && { hooks: notify.notifier }) });
}

/** The crash: a hub without hooks ends a case (its agent stays silent: non_responsive) and is gone. */
async function endedWithoutHooks(w: World, firstProvider: string): Promise<string> {
  const hub = hubOn(w);
  await hub.start();
  const c = await hub.startTraceback({ call: CALL, firstProvider }, 'requester');
  w.now += 5000;
  await hub.tick();
  expect((await w.store.getCase(c.id))?.status).toBe('non_responsive');
  await hub.stop();
  return c.id;
}

/** A hub with a notifier starts on the same stores; the deliveries of `caseId` once its hooks are done. */
async function restartWithNotifier(w: World, caseId: string): Promise<{ kind: string; id: string }[]> {
  const notify = w.notify();
  const hub = hubOn(w, notify);
  await hub.start();
  await notify.notifier.settled();
  const got = await notify.store.listDeliveries({ caseId, limit: 20 });
  await hub.stop();
  await notify.stop();
  return got.map((d) => ({ kind: d.kind, id: d.id })).sort((a, b) => (a.kind < b.kind ? -1 : 1));
}

async function subscribe(w: World): Promise<void> {
  const notify = w.notify();
  await notify.notifier.addSubscriber({ id: 'fbi', name: 'FBI', kind: 'agency', url: 'https://intake.example.gov/h', receives: { referrals: {} } });
  await notify.notifier.addSubscriber({ id: 'term-noc', name: 'Term NOC', kind: 'provider', provider: 'term', url: 'https://noc.example.com/h', receives: { notices: true } });
  await notify.notifier.addSubscriber({ id: 'desk-noc', name: 'Desk NOC', kind: 'provider', provider: 'desk', url: 'https://desk.example.com/h', receives: { notices: true } });
  await notify.stop();
  const hub = hubOn(w);
  await hub.registry.upsert(provider('term', undefined), w.now);
  await hub.registry.upsert(provider('desk', undefined, { reach: 'manual', contact: { email: 'noc@desk.example' } }), w.now);
}

function behaves(name: string, world: () => Promise<World>): void {
  describe(`restart re-offers to the hooks (${name})`, () => {
    it('stores the referral and notice a crash lost, exactly once across further starts', async () => {
      const w = await world();
      await subscribe(w);
      const id = await endedWithoutHooks(w, 'term');
      const first = await restartWithNotifier(w, id);
      // The ids the lost hook would have stored: a receiver that got those drops these.
      expect(first).toEqual([
        { kind: 'provider-notice', id: idempotencyKey('provider-notice', id, 'term-noc', 'non-responsive') },
        { kind: 'referral', id: idempotencyKey('referral', id, 'fbi') },
      ]);
      expect(await restartWithNotifier(w, id)).toEqual(first);
      expect(await restartWithNotifier(w, id)).toEqual(first);
    });

    it('leaves a case that ended long before the start alone', async () => {
      const w = await world();
      await subscribe(w);
      const old = await endedWithoutHooks(w, 'term');
      w.now += 16 * 60_000;
      const recent = await endedWithoutHooks(w, 'term');
      expect(await restartWithNotifier(w, old)).toEqual([]);
      expect((await restartWithNotifier(w, recent)).map((d) => d.kind)).toEqual(['provider-notice', 'referral']);
    });

    it('sends the link of a manual hop waiting for people once, with the query the lost hook had', async () => {
      const w = await world();
      await subscribe(w);
      const hub = hubOn(w);
      await hub.start();
      const c = await hub.startTraceback({ call: CALL, firstProvider: 'desk' }, 'requester');
      await hub.stop();
      const attempt = c.hops[0]!.attempts[0]!;
      const first = await restartWithNotifier(w, c.id);
      expect(first).toEqual([{ kind: 'manual-hop', id: idempotencyKey('manual-hop', c.id, 'desk-noc', attempt.queryId) }]);
      const notify = w.notify();
      const d = await notify.store.getDelivery(first[0]!.id);
      await notify.stop();
      expect(JSON.parse(d!.body).body).toMatchObject({ provider: 'desk', askedBy: null, call: CALL, deadline: new Date(attempt.deadline).toISOString() });
      expect(await restartWithNotifier(w, c.id)).toEqual(first);
    });
  });
}

behaves('memory', async () => {
  const store = new MemoryHubStore();
  // The embedded notify store lives in its notifier: one opened here stands for what survives the restart.
  const notify = openNotify({ cfg: NOTIFY, hubId: 'hub', key, cases: store, log: silent, publicUrl: () => 'https://hub.example' });
  const w: World = { now: Date.parse('2026-11-28T12:00:00Z'), store, notify: () => ({ ...notify, stop: async () => notify.notifier.settled() }) };
  return w;
});

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

let prefix = 0;
const opened: HubStore[] = [];
afterAll(() => Promise.all(opened.map((s) => s.close())));

behaves('redis', async () => {
  const keyPrefix = `t${++prefix}:`;
  const store = new RedisHubStore({ url: redis.url, keyPrefix: `${keyPrefix}hub:` });
  opened.push(store);
  return {
    now: Date.parse('2026-11-28T12:00:00Z'),
    store,
    notify: () => openNotify({ cfg: NOTIFY, redisUrl: redis.url, keyPrefix: `${keyPrefix}notify:`, hubId: 'hub', key, cases: store, log: silent, publicUrl: () => 'https://hub.example' }),
  };
});

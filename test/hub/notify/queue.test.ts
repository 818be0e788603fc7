/**
 * The delivery queue against real sockets: a receiver that never answers times out, a closed port is refused;
 * retention forgets old delivered records only, and only a dead letter can be dropped.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDelivery } from '../../../hub/notify/delivery.js';
import { MemoryNotifyStore } from '../../../hub/notify/memory-store.js';
import { DeliveryQueue, NotDeadLetterError, TRIM_EVERY_MS, UnknownDeliveryError } from '../../../hub/notify/queue.js';
import { type SendResult, WebhookSender } from '../../../hub/notify/sender.js';
import { freePort } from '../../helpers/redis.js';
import { silent } from '../harness.js';

const hanging = createServer(() => undefined);
let hangingUrl = '';
beforeAll(async () => {
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      hanging.closeAllConnections();
      hanging.close(() => r());
    }),
);

async function deliverTo(url: string): Promise<ReturnType<MemoryNotifyStore['getDelivery']>> {
  const store = new MemoryNotifyStore();
  const sender = new WebhookSender(300);
  const queue = new DeliveryQueue({ store, sender, policy: { maxAttempts: 2, backoffMs: 50, maxBackoffMs: 50, jitter: 0 }, timeoutMs: 300, concurrency: 4, keepDeliveredMs: 60_000, log: silent, tickMs: 20 });
  await store.addDelivery(newDelivery({ id: 'ntf_t', subscriber: 's', url, kind: 'referral', caseId: 'c', body: '{}' }, Date.now()));
  queue.start();
  const until = Date.now() + 10_000;
  while ((await store.getDelivery('ntf_t'))?.state === 'pending' && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await queue.stop();
  await sender.close();
  return store.getDelivery('ntf_t');
}

describe('delivery queue on real sockets', () => {
  it('gives up on a receiver that never answers after its timeout, and dead-letters it after the limit', async () => {
    const started = Date.now();
    const d = await deliverTo(hangingUrl);
    expect(d).toMatchObject({ state: 'dead', attempts: 2, lastError: expect.stringMatching(/Timeout/i) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('records a refused connection as the error', async () => {
    const d = await deliverTo(`http://127.0.0.1:${await freePort()}/hook`);
    expect(d).toMatchObject({ state: 'dead', attempts: 2, lastError: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('forgets delivered records past their retention, keeps dead letters and pending ones, and drops a dead letter on request', async () => {
    const DAY = 86_400_000;
    let now = 10 * DAY;
    const store = new MemoryNotifyStore();
    // A receiver that accepts everything but the `down` subscriber's notifications.
    const sender = { send: async (d: { subscriber: string }): Promise<SendResult> => (d.subscriber === 'down' ? { ok: false, error: 'receiver answered 503' } : { ok: true, status: 200 }) };
    const queue = new DeliveryQueue({ store, sender, policy: { maxAttempts: 1, backoffMs: 50, maxBackoffMs: 50, jitter: 0 }, timeoutMs: 300, concurrency: 4, keepDeliveredMs: 30 * DAY, log: silent, tickMs: 10, now: () => now });
    const seen: string[] = [];
    queue.onAttempt((before, after) => seen.push(`${before.id}:${before.state}->${after.state}`));
    const add = (id: string, subscriber = 's') => store.addDelivery(newDelivery({ id, subscriber, url: 'http://127.0.0.1:9/hook', kind: 'referral', caseId: 'c', body: '{}' }, now));
    const settle = async (ids: string[]) => {
      const until = Date.now() + 5000;
      while (Date.now() < until && (await Promise.all(ids.map((id) => store.getDelivery(id)))).some((d) => d?.state === 'pending')) await new Promise((r) => setTimeout(r, 10));
    };
    queue.start();
    try {
      await add('old');
      await add('dead', 'down');
      await settle(['old', 'dead']);
      expect(seen.sort()).toEqual(['dead:pending->dead', 'old:pending->delivered']);

      // 29 days later: nothing is past its retention yet.
      now += 29 * DAY;
      await add('recent');
      await settle(['recent']);
      expect((await store.listDeliveries({ limit: 10 })).map((d) => d.id).sort()).toEqual(['dead', 'old', 'recent']);

      // 31 days after the first: the first delivered record goes; the dead letter (older still) and the recent one stay.
      now += 2 * DAY + TRIM_EVERY_MS;
      queue.kick();
      const until = Date.now() + 5000;
      while ((await store.getDelivery('old')) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(await store.getDelivery('old')).toBeUndefined();
      expect((await store.listDeliveries({ limit: 10 })).map((d) => [d.id, d.state])).toEqual([['recent', 'delivered'], ['dead', 'dead']]);

      await expect(queue.drop('recent')).rejects.toThrow(NotDeadLetterError);
      await expect(queue.drop('recent')).rejects.toThrow('delivery recent is delivered, not a dead letter: only a dead letter can be dropped');
      await expect(queue.drop('nothing')).rejects.toThrow(UnknownDeliveryError);
      expect(await store.getDelivery('recent')).toBeDefined();
      await queue.drop('dead');
      expect(await store.getDelivery('dead')).toBeUndefined();
    } finally {
      await queue.stop();
    }
  });
});

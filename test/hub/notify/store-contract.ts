/** One contract for both notify stores: `open` gives two handles on the same state (two hub instances). */
import { describe, expect, it } from 'vitest';
import { type Delivery, newDelivery } from '../../../hub/notify/delivery.js';
import type { NotifyStore } from '../../../hub/notify/store.js';
import type { Subscriber } from '../../../hub/notify/subscriber.js';

export function subscriber(id: string, over: Partial<Subscriber> = {}): Subscriber {
  return {
    id,
    name: id.toUpperCase(),
    kind: 'agency',
    url: `https://${id}.example.org/hook`,
    receives: { referrals: {}, notices: false },
    createdAt: 1,
    verifyWith: { hubId: 'hub', kid: 'k', publicKey: 'x'.repeat(43) },
    ...over,
  };
}

export function delivery(id: string, at: number, over: Partial<Delivery> = {}): Delivery {
  return { ...newDelivery({ id, subscriber: 'fbi', url: 'https://fbi.example.org/hook', kind: 'referral', caseId: 'case-1', body: '{}' }, at), ...over };
}

export function notifyStoreContract(name: string, open: () => Promise<[NotifyStore, NotifyStore]>): void {
  describe(`notify store contract: ${name}`, () => {
    it('registers, lists in id order, replaces and removes subscribers', async () => {
      const [a, b] = await open();
      await a.putSubscriber(subscriber('state-ag'));
      await a.putSubscriber(subscriber('fbi'));
      await a.putSubscriber(subscriber('fbi', { name: 'Federal' }));
      expect((await b.listSubscribers()).map((s) => [s.id, s.name])).toEqual([['fbi', 'Federal'], ['state-ag', 'STATE-AG']]);
      expect(await b.removeSubscriber('fbi')).toBe(true);
      expect(await a.removeSubscriber('fbi')).toBe(false);
      expect(await a.getSubscriber('fbi')).toBeUndefined();
      await a.close();
      if (a !== b) await b.close();
    });

    it('stores a delivery once per id: a second add changes nothing', async () => {
      const [a, b] = await open();
      expect(await a.addDelivery(delivery('d1', 1000))).toBe(true);
      expect(await b.addDelivery(delivery('d1', 5000, { url: 'https://other.example.org/' }))).toBe(false);
      expect((await a.getDelivery('d1'))?.url).toBe('https://fbi.example.org/hook');
      expect((await a.claimDue(999, 10, 1000)).length).toBe(0);
      await a.close();
      if (a !== b) await b.close();
    });

    it('claims due deliveries once across instances, earliest first, and again after the lease', async () => {
      const [a, b] = await open();
      await a.addDelivery(delivery('late', 2000));
      await a.addDelivery(delivery('early', 1000));
      await a.addDelivery(delivery('future', 9000));
      expect((await a.claimDue(3000, 10, 5000)).map((d) => d.id)).toEqual(['early', 'late']);
      expect(await b.claimDue(3000, 10, 5000)).toEqual([]);
      // The claimer died: after its lease the deliveries are due again.
      expect((await b.claimDue(8000, 1, 5000)).map((d) => d.id)).toEqual(['early']);
      await a.close();
      if (a !== b) await b.close();
    });

    it('saves results: pending again at nextAt, delivered and dead leave the queue; lists newest first by filter', async () => {
      const [a, b] = await open();
      await a.addDelivery(delivery('p', 1000));
      await a.addDelivery(delivery('ok', 2000, { subscriber: 'state-ag' }));
      await a.addDelivery(delivery('x', 3000));
      await a.claimDue(5000, 10, 60_000);
      await a.saveDelivery({ ...(await a.getDelivery('p'))!, nextAt: 7000, failures: 1, attempts: 1, lastError: 'receiver answered 503' });
      await a.saveDelivery({ ...(await a.getDelivery('ok'))!, state: 'delivered', deliveredAt: 5000 });
      await a.saveDelivery({ ...(await a.getDelivery('x'))!, state: 'dead', deadAt: 5000, lastError: 'ECONNREFUSED' });
      expect((await b.claimDue(6999, 10, 1000)).length).toBe(0);
      expect((await b.claimDue(7000, 10, 1000)).map((d) => [d.id, d.lastError])).toEqual([['p', 'receiver answered 503']]);
      expect((await b.listDeliveries({ limit: 10 })).map((d) => d.id)).toEqual(['x', 'ok', 'p']);
      expect((await b.listDeliveries({ state: 'dead', limit: 10 })).map((d) => d.id)).toEqual(['x']);
      expect((await b.listDeliveries({ subscriber: 'state-ag', limit: 10 })).map((d) => d.id)).toEqual(['ok']);
      expect((await b.listDeliveries({ limit: 1 })).map((d) => d.id)).toEqual(['x']);
      await a.close();
      if (a !== b) await b.close();
    });

    it('trims delivered records by delivery time, oldest first, never a pending one or a dead letter', async () => {
      const [a, b] = await open();
      for (const [id, at] of [['old-1', 1000], ['old-2', 2000], ['new', 9000]] as const) {
        await a.addDelivery(delivery(id, at));
        await a.saveDelivery({ ...(await a.getDelivery(id))!, state: 'delivered', attempts: 1, deliveredAt: at + 10 });
      }
      await a.addDelivery(delivery('waiting', 500));
      await a.addDelivery(delivery('dead', 500));
      await a.saveDelivery({ ...(await a.getDelivery('dead'))!, state: 'dead', deadAt: 600, lastError: 'ECONNREFUSED' });
      // Delivered once, then queued again by a person: pending now, so not trimmed.
      await a.addDelivery(delivery('again', 700));
      await a.saveDelivery({ ...(await a.getDelivery('again'))!, state: 'delivered', deliveredAt: 800 });
      await a.saveDelivery({ ...(await a.getDelivery('again'))!, state: 'pending', nextAt: 900 });
      expect(await b.countPending()).toBe(2);

      expect(await b.trimDelivered(5000, 1)).toBe(1);
      expect(await a.getDelivery('old-1')).toBeUndefined();
      expect(await b.trimDelivered(5000, 10)).toBe(1);
      expect(await b.trimDelivered(5000, 10)).toBe(0);
      expect((await a.listDeliveries({ limit: 10 })).map((d) => d.id).sort()).toEqual(['again', 'dead', 'new', 'waiting']);
      expect((await a.claimDue(10_000, 10, 1000)).map((d) => d.id).sort()).toEqual(['again', 'waiting']);
      expect(await b.countPending()).toBe(2);
      await a.close();
      if (a !== b) await b.close();
    });

    it('drops a dead letter only, and says what a delivery is when it is not one', async () => {
      const [a, b] = await open();
      await a.addDelivery(delivery('dead', 1000));
      await a.saveDelivery({ ...(await a.getDelivery('dead'))!, state: 'dead', deadAt: 2000, lastError: 'receiver answered 500' });
      await a.addDelivery(delivery('waiting', 1000));
      await a.addDelivery(delivery('done', 1000));
      await a.saveDelivery({ ...(await a.getDelivery('done'))!, state: 'delivered', deliveredAt: 2000 });
      expect(await b.dropDead('waiting')).toBe('pending');
      expect(await b.dropDead('done')).toBe('delivered');
      expect(await b.dropDead('nothing')).toBeUndefined();
      expect(await a.getDelivery('waiting')).toBeDefined();
      expect(await a.getDelivery('done')).toBeDefined();
      expect(await b.dropDead('dead')).toBe('dropped');
      expect(await a.getDelivery('dead')).toBeUndefined();
      expect((await a.listDeliveries({ state: 'dead', limit: 10 })).length).toBe(0);
      expect(await b.dropDead('dead')).toBeUndefined();
      // Nothing else moved: the delivered one is still trimmed by its time, the pending one still due.
      expect(await b.trimDelivered(2000, 10)).toBe(1);
      expect((await a.claimDue(5000, 10, 1000)).map((d) => d.id)).toEqual(['waiting']);
      await a.close();
      if (a !== b) await b.close();
    });
  });
}

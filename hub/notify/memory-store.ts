/** The embedded notify store (demo, small sites): one hub process, nothing kept across a restart. */
import type { Delivery } from './delivery.js';
import { type DeliveryFilter, type DropResult, matchesDelivery, type NotifyStore } from './store.js';
import type { Subscriber } from './subscriber.js';

export class MemoryNotifyStore implements NotifyStore {
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly deliveries = new Map<string, Delivery>();
  /** id → when it is due (pending deliveries only). */
  private readonly due = new Map<string, number>();
  /** id → when it was delivered (delivered deliveries only): what retention trims. */
  private readonly delivered = new Map<string, number>();

  async putSubscriber(s: Subscriber): Promise<void> {
    this.subscribers.set(s.id, structuredClone(s));
  }

  async getSubscriber(id: string): Promise<Subscriber | undefined> {
    return copy(this.subscribers.get(id));
  }

  async listSubscribers(): Promise<Subscriber[]> {
    return [...this.subscribers.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((s) => structuredClone(s));
  }

  async removeSubscriber(id: string): Promise<boolean> {
    return this.subscribers.delete(id);
  }

  async addDelivery(d: Delivery): Promise<boolean> {
    if (this.deliveries.has(d.id)) return false;
    this.save(d);
    return true;
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    return copy(this.deliveries.get(id));
  }

  async claimDue(nowMs: number, limit: number, leaseMs: number): Promise<Delivery[]> {
    const due = [...this.due].filter(([, at]) => at <= nowMs).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
    for (const [id] of due) this.due.set(id, nowMs + leaseMs);
    return due.map(([id]) => structuredClone(this.deliveries.get(id)!));
  }

  async saveDelivery(d: Delivery): Promise<void> {
    this.save(d);
  }

  async listDeliveries(f: DeliveryFilter): Promise<Delivery[]> {
    const found = [...this.deliveries.values()].filter((d) => matchesDelivery(d, f));
    return found.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1)).slice(0, f.limit).map((d) => structuredClone(d));
  }

  async countPending(): Promise<number> {
    return this.due.size;
  }

  async trimDelivered(deliveredBefore: number, limit: number): Promise<number> {
    const old = [...this.delivered].filter(([, at]) => at <= deliveredBefore).sort((a, b) => a[1] - b[1]).slice(0, limit);
    for (const [id] of old) this.forget(id);
    return old.length;
  }

  async dropDead(id: string): Promise<DropResult | undefined> {
    const d = this.deliveries.get(id);
    if (!d) return undefined;
    if (d.state !== 'dead') return d.state;
    this.forget(id);
    return 'dropped';
  }

  async close(): Promise<void> {}

  private save(d: Delivery): void {
    this.deliveries.set(d.id, structuredClone(d));
    if (d.state === 'pending') this.due.set(d.id, d.nextAt);
    else this.due.delete(d.id);
    if (d.state === 'delivered') this.delivered.set(d.id, d.deliveredAt ?? d.lastAttemptAt ?? d.createdAt);
    else this.delivered.delete(d.id);
  }

  private forget(id: string): void {
    this.deliveries.delete(id);
    this.due.delete(id);
    this.delivered.delete(id);
  }
}

function copy<T>(v: T | undefined): T | undefined {
  return v === undefined ? undefined : structuredClone(v);
}

/**
 * Where subscribers and deliveries live: in the hub's store — Redis in production (shared by every hub instance,
 * so a delivery stored by one is sent by whichever claims it, after a restart too), memory for the demo. Both
 * run one contract suite (test/hub/notify/store-contract.ts).
 */
import type { Delivery, DeliveryState } from './delivery.js';
import type { Subscriber } from './subscriber.js';

export interface DeliveryFilter {
  state?: DeliveryState;
  subscriber?: string;
  caseId?: string;
  limit: number;
}

export type DropResult = 'dropped' | Exclude<DeliveryState, 'dead'>;

export interface NotifyStore {
  putSubscriber(s: Subscriber): Promise<void>;
  getSubscriber(id: string): Promise<Subscriber | undefined>;
  listSubscribers(): Promise<Subscriber[]>;
  /** False when there was no such subscriber. Its deliveries stay, for the record. */
  removeSubscriber(id: string): Promise<boolean>;

  /** Stores a new delivery, due at its `nextAt`; false (and nothing changed) when one with its id exists. */
  addDelivery(d: Delivery): Promise<boolean>;
  getDelivery(id: string): Promise<Delivery | undefined>;
  /**
   * Claims up to `limit` pending deliveries due at `nowMs`, each for one caller across hub instances: a claimed
   * delivery is not due again before `nowMs + leaseMs`, so one whose sender died is sent again after its lease.
   */
  claimDue(nowMs: number, limit: number, leaseMs: number): Promise<Delivery[]>;
  /** Stores a delivery's new state: pending ones are due at `nextAt`, others leave the queue. */
  saveDelivery(d: Delivery): Promise<void>;
  /** Newest first. */
  listDeliveries(filter: DeliveryFilter): Promise<Delivery[]>;
  /** Pending deliveries: due, waiting for a retry, or claimed and being sent. */
  countPending(): Promise<number>;
  /**
   * Retention: forgets up to `limit` delivered deliveries delivered at or before `deliveredBefore`, oldest first,
   * and says how many. Pending deliveries and dead letters are never trimmed. Found by an index of delivery
   * times, never by a scan.
   */
  trimDelivered(deliveredBefore: number, limit: number): Promise<number>;
  /** Forgets a dead letter: `dropped`, or the state the delivery is in instead (nothing changed), or undefined when there is none. */
  dropDead(id: string): Promise<DropResult | undefined>;

  close(): Promise<void>;
}

export function matchesDelivery(d: Delivery, f: DeliveryFilter): boolean {
  return (f.state === undefined || d.state === f.state) && (f.subscriber === undefined || d.subscriber === f.subscriber) && (f.caseId === undefined || d.caseId === f.caseId);
}

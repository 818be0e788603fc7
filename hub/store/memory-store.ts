/**
 * The embedded hub store (DESIGN §6): the demo and small sites, one hub process, nothing kept across a
 * restart. Same semantics as the Redis store, checked by the same contract suite; values are copied in and
 * out, so a caller never holds an object that is also the stored state.
 */
import { EventEmitter } from 'node:events';
import type { HopQuery } from '../../proto/messages.js';
import type { Case } from '../case.js';
import { instantMs, positiveCount } from './args.js';
import { caseExists, caseMissing, caseMoved } from './conflicts.js';
import { byId, matchesFilter, newestFirst, type CaseFilter } from './listing.js';
import { ExpiringMap } from './expiring-map.js';
import type { HubStore, Provider, TokenRecord } from './store.js';

export interface MemoryHubStoreOptions {
  /** ms since the epoch (default Date.now): expiry of jtis. */
  clock?: () => number;
}

export class MemoryHubStore implements HubStore {
  private readonly clock: () => number;
  private readonly providers = new Map<string, Provider>();
  private readonly cases = new Map<string, Case>();
  private readonly deadlines = new Map<string, number>();
  private readonly queues = new Map<string, HopQuery[]>();
  private readonly enqueued = new EventEmitter().setMaxListeners(0);
  private readonly jtis: ExpiringMap<true>;
  private readonly tokens = new Map<string, TokenRecord>();

  constructor(opts: MemoryHubStoreOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    this.jtis = new ExpiringMap({ clock: this.clock });
  }

  // ---- providers ----

  async putProvider(p: Provider): Promise<void> {
    this.providers.set(p.id, structuredClone(p));
  }

  async getProvider(id: string): Promise<Provider | undefined> {
    return copy(this.providers.get(id));
  }

  async listProviders(): Promise<Provider[]> {
    return [...this.providers.values()].sort(byId).map((p) => structuredClone(p));
  }

  // ---- cases ----

  async createCase(c: Case): Promise<void> {
    if (this.cases.has(c.id)) throw caseExists(c.id);
    this.cases.set(c.id, structuredClone(c));
  }

  async getCase(id: string): Promise<Case | undefined> {
    return copy(this.cases.get(id));
  }

  async saveCase(c: Case): Promise<void> {
    const stored = this.cases.get(c.id);
    if (!stored) throw caseMissing(c.id);
    if (stored.rev !== c.rev - 1) throw caseMoved(c.id, stored.rev, c.rev - 1);
    this.cases.set(c.id, structuredClone(c));
  }

  async listCases(filter: CaseFilter = {}): Promise<Case[]> {
    const limit = filter.limit === undefined ? Infinity : positiveCount('listCases', 'limit', filter.limit);
    const found = [...this.cases.values()].filter((c) => matchesFilter(c, filter)).sort(newestFirst);
    return found.slice(0, limit).map((c) => structuredClone(c));
  }

  async openCaseIds(): Promise<string[]> {
    const open = [...this.cases.values()].filter((c) => c.status === 'open');
    return open.sort((a, b) => newestFirst(b, a)).map((c) => c.id);
  }

  // ---- deadlines ----

  async setDeadline(caseId: string, atMs: number): Promise<void> {
    this.deadlines.set(caseId, instantMs('setDeadline', 'atMs', atMs));
  }

  async clearDeadline(caseId: string): Promise<void> {
    this.deadlines.delete(caseId);
  }

  async claimDue(nowMs: number, limit: number): Promise<string[]> {
    const now = instantMs('claimDue', 'nowMs', nowMs);
    positiveCount('claimDue', 'limit', limit);
    const due = [...this.deadlines].flatMap(([id, at]) => (at <= now ? [{ id, at }] : []));
    // Earliest first; equal deadlines by case id, as a Redis sorted set orders them.
    due.sort((x, y) => x.at - y.at || byId(x, y));
    const claimed = due.slice(0, limit).map(({ id }) => id);
    for (const id of claimed) this.deadlines.delete(id);
    return claimed;
  }

  // ---- hop query dispatch ----

  async enqueue(provider: string, q: HopQuery): Promise<void> {
    const queue = this.queues.get(provider) ?? [];
    queue.push(structuredClone(q));
    this.queues.set(provider, queue);
    this.enqueued.emit(provider);
  }

  async take(provider: string, max: number): Promise<HopQuery[]> {
    positiveCount('take', 'max', max);
    const queue = this.queues.get(provider);
    if (!queue) return [];
    const taken = queue.splice(0, max);
    if (queue.length === 0) this.queues.delete(provider);
    return taken;
  }

  onEnqueue(provider: string, listener: () => void): () => void {
    let listening = true;
    // A wrapper per call: the same function registered twice is two listeners, each unsubscribed once.
    const wrapper = () => listening && listener();
    this.enqueued.on(provider, wrapper);
    // Called once when listening starts, as the Redis store does when its subscription is active.
    queueMicrotask(wrapper);
    return () => {
      listening = false;
      this.enqueued.off(provider, wrapper);
    };
  }

  // ---- replay protection (JtiStore) ----

  async remember(jti: string, expiresAtMs: number): Promise<boolean> {
    instantMs('remember', 'expiresAtMs', expiresAtMs);
    if (this.jtis.get(jti)) return false;
    this.jtis.set(jti, true, expiresAtMs);
    return true;
  }

  // ---- bearer tokens ----

  async putToken(hash: string, t: TokenRecord): Promise<void> {
    this.tokens.set(hash, structuredClone(t));
  }

  async getToken(hash: string): Promise<TokenRecord | undefined> {
    return copy(this.tokens.get(hash));
  }

  // ---- lifecycle ----

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.enqueued.removeAllListeners();
  }
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}

/**
 * The embedded DNO cache (demo and small sites): one process, nothing kept across restarts. Entries are held
 * as encoded fields (entry-codec.ts), not objects, so a large list costs strings, not object graphs.
 */
import type { DnoDelta, DnoEntry } from '../../proto/messages.js';
import { EntryDecoder, fieldOf, fieldOfTarget, payloadOf } from './entry-codec.js';
import { announcement, appliesTo, DnoCacheChangedError, ENTRY_CHUNK, type DnoAnnouncedChange, type DnoCache, type DnoEntryGroup, type DnoPosition } from './store.js';

export class MemoryDnoCache implements DnoCache {
  private current = 0;
  private list: string | null = null;
  private fields = new Map<string, string>();
  private readonly listeners = new Set<(version: number, change?: DnoAnnouncedChange) => void>();
  private lease: { owner: string; until: number } | null = null;

  async version(): Promise<number> {
    return this.current;
  }

  async position(): Promise<DnoPosition> {
    return { list: this.list, version: this.current };
  }

  async apply(delta: DnoDelta): Promise<boolean> {
    if (!appliesTo(delta, this.current)) return false;
    // Encode everything before touching the map, so a bad entry cannot leave a delta half applied.
    const removes = delta.remove.map(fieldOf);
    const adds = delta.add.map((e) => [fieldOf(e), payloadOf(e)] as const);
    const fields = delta.full ? new Map<string, string>() : this.fields;
    for (const field of removes) fields.delete(field);
    for (const [field, payload] of adds) fields.set(field, payload);
    this.switchTo(fields, delta.version, announcement(delta, this.current, this.list));
    return true;
  }

  async replace(version: number, groups: AsyncIterable<DnoEntryGroup>, _count = 0, list?: string): Promise<void> {
    const fields = new Map<string, string>();
    for await (const group of groups) {
      const payload = payloadOf(group);
      for (const target of group.targets) fields.set(fieldOfTarget(group.category, target), payload);
    }
    this.list = list ?? null;
    this.switchTo(fields, version, null);
  }

  private switchTo(fields: Map<string, string>, version: number, change: DnoAnnouncedChange | null): void {
    this.fields = fields;
    this.current = version;
    // Delivered later, like a pub/sub message: a listener never runs inside apply.
    for (const listener of this.listeners) {
      queueMicrotask(() => this.listeners.has(listener) && (change ? listener(version, change) : listener(version)));
    }
  }

  async *entries(): AsyncIterable<DnoEntry[]> {
    const start = this.current;
    const decoder = new EntryDecoder();
    let chunk: DnoEntry[] = [];
    for (const [field, payload] of this.fields) {
      chunk.push(decoder.entryOf(field, payload));
      if (chunk.length < ENTRY_CHUNK) continue;
      yield chunk;
      chunk = [];
      if (this.current !== start) throw new DnoCacheChangedError(start, this.current);
    }
    if (chunk.length > 0) yield chunk;
    if (this.current !== start) throw new DnoCacheChangedError(start, this.current);
  }

  onChange(listener: (version: number, change?: DnoAnnouncedChange) => void): () => void {
    // A wrapper per subscription: the same function subscribed twice is unsubscribed once per call.
    const own = (version: number, change?: DnoAnnouncedChange) => listener(version, change);
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  async acquireSyncLease(owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (this.lease !== null && this.lease.owner !== owner && this.lease.until > now) return false;
    this.lease = { owner, until: now + ttlMs };
    return true;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

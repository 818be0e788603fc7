/**
 * The embedded master-list store (demo, small hubs): one process, nothing kept across restarts.
 */
import type { DnoChangeRow, DnoRequest } from './master.js';
import { candidateFields } from './master.js';
import { NetDelta } from './layout.js';
import { DELTA_BUDGET, type DnoChangeResult, type DnoListStore, type DnoSummary, MAX_BEHIND, newListId, planChange, READ_CHUNK, type StoredEntries, summaryOf } from './store.js';

export class MemoryDnoListStore implements DnoListStore {
  /** Chosen when the store is made: nothing is kept across restarts, so each start is a new list. */
  private readonly list = newListId();
  private version = 0;
  private readonly entries = new Map<string, string>();
  private readonly payloadJson = new Map<string, string>();
  private readonly log: DnoChangeRow[] = [];
  /** Kept deltas by version, oldest first, and how many entries they hold together. */
  private readonly deltas = new Map<number, { text: string; size: number }>();
  private kept = 0;
  private readonly counts = new Map<string, number>();
  private readonly listeners = new Set<(version: number) => void>();

  async summary(): Promise<DnoSummary> {
    return summaryOf(this.list, this.version, (code) => this.counts.get(code) ?? 0);
  }

  async change(req: DnoRequest, now: number): Promise<DnoChangeResult> {
    const plan = planChange(req, (f) => this.entries.has(f), this.version, now);
    for (const field of plan.remove) this.entries.delete(field);
    for (const [field, pid] of plan.add) this.entries.set(field, pid);
    for (const [pid, json] of plan.payloads) this.payloadJson.set(pid, json);
    for (const [code, by] of plan.counts) this.counts.set(code, (this.counts.get(code) ?? 0) + by);
    this.version = plan.row.version;
    this.log.push(plan.row);
    if (plan.delta !== null) {
      this.deltas.set(this.version, { text: plan.delta, size: plan.size });
      this.kept += plan.size;
    }
    for (const [v, d] of this.deltas) {
      if (this.kept <= DELTA_BUDGET && v > this.version - MAX_BEHIND) break;
      this.deltas.delete(v);
      this.kept -= d.size;
    }
    // Delivered later, like a pub/sub message: a listener never runs inside change().
    for (const listener of this.listeners) queueMicrotask(() => this.listeners.has(listener) && listener(this.version));
    return { row: plan.row, skipped: plan.skipped };
  }

  async deltaSince(since: number): Promise<{ version: number; delta: NetDelta } | null> {
    const version = this.version;
    if (since > version || version - since > MAX_BEHIND) return null;
    const delta = new NetDelta();
    for (let v = since + 1; v <= version; v++) {
      const d = this.deltas.get(v);
      if (d === undefined) return null;
      delta.fold(d.text);
    }
    return { version, delta };
  }

  async read(): Promise<{ version: number; chunks: AsyncIterable<StoredEntries> }> {
    const entries = this.entries;
    async function* chunks(): AsyncIterable<StoredEntries> {
      let chunk: StoredEntries = { fields: [], pids: [] };
      for (const [field, pid] of entries) {
        chunk.fields.push(field);
        chunk.pids.push(pid);
        if (chunk.fields.length < READ_CHUNK) continue;
        yield chunk;
        chunk = { fields: [], pids: [] };
      }
      if (chunk.fields.length > 0) yield chunk;
    }
    return { version: this.version, chunks: chunks() };
  }

  async find(target: string): Promise<StoredEntries> {
    const found: StoredEntries = { fields: [], pids: [] };
    for (const field of candidateFields(`*${target}`)) {
      const pid = this.entries.get(field);
      if (pid === undefined) continue;
      found.fields.push(field);
      found.pids.push(pid);
    }
    return found;
  }

  async payloads(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of ids) {
      const json = this.payloadJson.get(id);
      if (json !== undefined) out.set(id, json);
    }
    return out;
  }

  async history(opts: { before?: number; limit: number }): Promise<DnoChangeRow[]> {
    const before = Math.min(opts.before ?? this.version + 1, this.version + 1);
    return this.log.slice(Math.max(0, before - 1 - opts.limit), before - 1).reverse();
  }

  async rows(versions: readonly number[]): Promise<DnoChangeRow[]> {
    return versions.flatMap((v) => (v >= 1 && v <= this.log.length ? [this.log[v - 1]!] : []));
  }

  onChange(listener: (version: number) => void): () => void {
    // A wrapper per subscription: the same function subscribed twice is unsubscribed once per call.
    const own = (version: number) => listener(version);
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

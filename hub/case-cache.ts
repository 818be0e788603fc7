/**
 * The open cases this hub instance last stored, by id, so that a transition starts from memory instead of reading
 * the case back from the store it has just written. The store stays the truth: a save names the rev it follows
 * (HubStore.saveCase), so a version another instance moved on is refused, forgotten here and read again.
 * Cases held here are shared with the callers they were handed to, as the engine never changes a version it is
 * given (hub/engine.ts): nobody may change them.
 */
import type { Case } from './case.js';

/** Open cases kept: a busy hub's agent hops; cases waiting a day on a person are read again when they move. */
const CASES_KEPT = 4096;

export class CaseCache {
  private readonly cases = new Map<string, Case>();

  constructor(private readonly max = CASES_KEPT) {}

  get size(): number {
    return this.cases.size;
  }

  get(id: string): Case | undefined {
    return this.cases.get(id);
  }

  /** Keeps the version just stored while the case is open; an ended case will rarely move again. */
  keep(c: Case): void {
    this.cases.delete(c.id);
    if (c.status !== 'open') return;
    // A Map iterates in insertion order: the first entry is the one stored longest ago.
    if (this.cases.size >= this.max) this.cases.delete(this.cases.keys().next().value!);
    this.cases.set(c.id, c);
  }

  forget(id: string): void {
    this.cases.delete(id);
  }
}

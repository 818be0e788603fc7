/**
 * Values read recently, kept for `ttlMs`: the registry is read several times per hop and changes rarely. What
 * another hub instance writes is seen here within `ttlMs`; what this instance writes, at once.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The cached value, or `load()`'s (shared by concurrent callers; a failed load is not kept). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.clock();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = load();
    this.entries.set(key, { value, until: now + this.ttlMs });
    value.catch(() => this.entries.delete(key));
    if (this.entries.size > 10_000) this.sweep(now);
    return value;
  }

  forget(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }

  private sweep(now: number): void {
    for (const [k, e] of this.entries) if (e.until <= now) this.entries.delete(k);
  }
}

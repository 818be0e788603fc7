/**
 * A map whose entries vanish at their expiry, as Redis keys with an expiry do. Expired entries are swept at
 * most every `sweepEveryMs`, so memory stays bounded by the live entries without a timer, and each `set` is
 * O(1) amortised.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAtMs: number }>();
  private readonly clock: () => number;
  private readonly sweepEveryMs: number;
  private nextSweepAt: number;

  constructor(opts: { clock?: () => number; sweepEveryMs?: number } = {}) {
    this.clock = opts.clock ?? Date.now;
    this.sweepEveryMs = opts.sweepEveryMs ?? 10_000;
    this.nextSweepAt = this.clock() + this.sweepEveryMs;
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAtMs > this.clock() ? entry.value : undefined;
  }

  set(key: string, value: V, expiresAtMs: number): void {
    const now = this.clock();
    if (now >= this.nextSweepAt) this.sweep(now);
    this.entries.set(key, { value, expiresAtMs });
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAtMs <= now) this.entries.delete(key);
    this.nextSweepAt = now + this.sweepEveryMs;
  }
}

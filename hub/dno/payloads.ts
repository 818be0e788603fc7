/**
 * Payloads (reason, source) by payload id, decoded once per hub process: a payload never changes once minted
 * (layout.ts), so this cache is never stale, whichever hub instance minted it.
 */
import type { EntryPayload } from '../../agent/dno/entry-codec.js';
import type { DnoListStore } from './store.js';

export class PayloadCache {
  private readonly known = new Map<string, EntryPayload>();

  constructor(private readonly store: DnoListStore) {}

  /** Makes every id of `pids` known (one store round trip for those not yet known). */
  async load(pids: readonly string[]): Promise<void> {
    const missing = [...new Set(pids.filter((id) => !this.known.has(id)))];
    if (missing.length === 0) return;
    for (const [id, json] of await this.store.payloads(missing)) {
      const { reason, source } = (json === '' ? {} : JSON.parse(json)) as EntryPayload;
      this.known.set(id, { ...(reason !== undefined && { reason }), ...(source !== undefined && { source }) });
    }
  }

  /** The payload of a loaded id ({} for an id the store does not know). */
  get(pid: string): EntryPayload {
    return this.known.get(pid) ?? {};
  }
}

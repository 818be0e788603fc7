/** The call index's size as a Prometheus gauge, asked of the store when scraped (a few keys, never a scan). */
import { Gauge, type Registry } from 'prom-client';
import type { SizedCallIndex } from './store.js';

export function callIndexMetrics(registry: Registry, index: SizedCallIndex): void {
  new Gauge({
    name: 'hoptrace_call_index_entries',
    help: 'Entries held in the call index within retention (a call whose local time is ambiguous has two)',
    registers: [registry],
    async collect() {
      // A store that is down keeps the last value rather than failing the whole scrape: readiness says why.
      try {
        this.set(await index.size());
      } catch {
        // kept
      }
    },
  });
}

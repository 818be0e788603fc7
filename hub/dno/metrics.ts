/**
 * Prometheus metrics of the hub's DNO master list, read from the store when scraped: its version and entries
 * per category (what every agent converges to: compare with each agent's hoptrace_dno_list_version).
 */
import { Gauge, type Registry } from 'prom-client';
import { DnoCategory } from '../../proto/messages.js';
import type { DnoListStore, DnoSummary } from './store.js';

export function dnoListMetrics(registry: Registry, store: Pick<DnoListStore, 'summary'>): void {
  const registers = [registry];
  // One store read per scrape serves both gauges; an unreachable store keeps the last values (hoptrace_hub_store_up
  // says it is down), it does not fail the whole scrape.
  let pending: Promise<DnoSummary | null> | null = null;
  const summary = () => {
    pending ??= store.summary().then(
      (s) => s,
      () => null,
    );
    void pending.then(() => setTimeout(() => (pending = null), 0));
    return pending;
  };
  new Gauge({
    name: 'hoptrace_hub_dno_list_version',
    help: 'Version of the hub\'s DNO master list (every change is a new version)',
    registers,
    async collect() {
      const s = await summary();
      if (s) this.set(s.version);
    },
  });
  new Gauge({
    name: 'hoptrace_hub_dno_list_entries',
    help: 'Entries of the hub\'s DNO master list, by category',
    labelNames: ['category'],
    registers,
    async collect() {
      const s = await summary();
      if (s) for (const category of DnoCategory.options) this.set({ category }, s.counts[category]);
    },
  });
}

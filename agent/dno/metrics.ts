/**
 * Prometheus metrics of the agent's DNO list: the version and size per category of the snapshot decisions use
 * (asked when scraped), and the hub sync — how long the last applied change took to get here, syncs by kind,
 * and whether this instance is the one that syncs. (Blocked and monitored calls are counted by the SIP sources.)
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { DnoCategory } from '../../proto/messages.js';
import type { DnoSnapshot } from './snapshot.js';
import type { SyncedVersion } from './sync.js';

export interface DnoProbe {
  snapshot(): DnoSnapshot;
  /** Does this instance sync the site's list from the hub? */
  leader(): boolean;
}

export interface DnoMetrics {
  synced(s: SyncedVersion): void;
}

export function dnoMetrics(registry: Registry, probe: DnoProbe): DnoMetrics {
  const registers = [registry];
  new Gauge({
    name: 'hoptrace_dno_list_version',
    help: 'Hub list version of the DNO snapshot decisions use (0 before the first sync)',
    registers,
    collect() {
      this.set(probe.snapshot().version);
    },
  });
  new Gauge({
    name: 'hoptrace_dno_list_entries',
    help: 'Entries of the DNO snapshot decisions use (hub list and local list), by category',
    labelNames: ['category'],
    registers,
    collect() {
      const { byCategory } = probe.snapshot().counts;
      for (const category of DnoCategory.options) this.set({ category }, byCategory[category]);
    },
  });
  new Gauge({
    name: 'hoptrace_dno_sync_leader',
    help: '1 when this instance syncs the site\'s DNO list from the hub (holds the sync lease), else 0',
    registers,
    collect() {
      this.set(probe.leader() ? 1 : 0);
    },
  });
  const lag = new Gauge({
    name: 'hoptrace_dno_sync_lag_seconds',
    help: 'From the hub\'s change of the DNO list to this instance applying it, for the last change applied',
    registers,
  });
  const syncs = new Counter({
    name: 'hoptrace_dno_syncs_total',
    help: 'DNO list versions applied from the hub, by kind (delta, full)',
    labelNames: ['kind'],
    registers,
  });
  return {
    synced(s) {
      syncs.inc({ kind: s.full ? 'full' : 'delta' });
      if (s.lagMs !== null) lag.set(s.lagMs / 1000);
    },
  };
}

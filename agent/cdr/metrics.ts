/**
 * Prometheus metrics of the CDR tailers, labelled by source (`ribbon:/var/log/sbc`). The metrics are made once
 * per registry (an agent has several sources); the gauges ask every running tailer when scraped.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface SourceProbe {
  /** Seconds the oldest unindexed bytes have waited since they were written; 0 when caught up. */
  lagSeconds(): number;
  filesFollowed(): number;
}

export interface SourceMetrics {
  read(n: number): void;
  indexed(n: number): void;
  rejected(n: number): void;
  /** Stops asking this source's probe (the tailer stopped). */
  remove(): void;
}

interface Metrics {
  read: Counter;
  indexed: Counter;
  rejected: Counter;
  probes: Map<string, SourceProbe>;
}

const perRegistry = new WeakMap<Registry, Metrics>();

export function sourceMetrics(registry: Registry, source: string, probe: SourceProbe): SourceMetrics {
  const m = metricsOf(registry);
  m.probes.set(source, probe);
  const labels = { source };
  return {
    read: (n) => m.read.inc(labels, n),
    indexed: (n) => m.indexed.inc(labels, n),
    rejected: (n) => m.rejected.inc(labels, n),
    remove: () => m.probes.delete(source),
  };
}

function metricsOf(registry: Registry): Metrics {
  let m = perRegistry.get(registry);
  if (m) return m;
  const probes = new Map<string, SourceProbe>();
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['source'], registers: [registry] });
  const gauge = (name: string, help: string, value: (p: SourceProbe) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['source'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [source, probe] of probes) this.set({ source }, value(probe));
      },
    });
  gauge('hoptrace_cdr_lag_seconds', 'How long the oldest CDR bytes not yet indexed have waited since they were written', (p) => p.lagSeconds());
  gauge('hoptrace_cdr_files_followed', 'CDR files being followed (not yet read to their end)', (p) => p.filesFollowed());
  m = {
    read: counter('hoptrace_cdr_records_read_total', 'Call records parsed from CDR files'),
    indexed: counter('hoptrace_cdr_records_indexed_total', 'Call records from CDR files acknowledged by the call index'),
    rejected: counter('hoptrace_cdr_records_rejected_total', 'Malformed CDR lines (and records the index refused), skipped'),
    probes,
  };
  perRegistry.set(registry, m);
  return m;
}

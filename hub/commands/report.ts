/**
 * `hoptrace-hub report NAME [--campaign NAME] [--kind traceback|forward] [--json]`, NAME one of hub/reports.ts
 * REPORTS: over tracebacks, or (`--kind forward`) over trace forwards, never both together.
 */
import { flags, UsageError } from '../../config/cli.js';
import { CASE_KINDS, type CaseKind } from '../case.js';
import {
  type CompletionRow,
  type HopsReport,
  type MonthRow,
  type NonResponsiveRow,
  type OutcomesReport,
  REPORTS,
  type ReportName,
} from '../reports.js';
import { clientFlags, type Out, withClient } from './client.js';

export async function reportCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = flags(args, { ...clientFlags, campaign: { type: 'string' }, kind: { type: 'string', default: 'traceback' }, json: { type: 'boolean' } });
  const name = positionals[0] as ReportName | undefined;
  if (!name || !REPORTS.includes(name)) throw new UsageError(`report needs one of ${REPORTS.join(', ')}`);
  const kind = values.kind as CaseKind;
  if (!CASE_KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${CASE_KINDS.join(', ')}`);
  const rows = await withClient(values, (c) => c.report(name, values.campaign as string | undefined, kind));
  out(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatReport(name, rows, kind));
  return 0;
}

/** What the counted cases are called in a report's headings. */
const COUNTED: Record<CaseKind, string> = { traceback: 'tracebacks', forward: 'forwards' };

export function formatReport(name: ReportName, rows: unknown, kind: CaseKind): string {
  const counted = COUNTED[kind];
  const counts = (o: Record<string, number | undefined>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
  switch (name) {
    case 'non-responsive':
      return table(['provider', 'count', 'last'], (rows as NonResponsiveRow[]).map((r) => [r.provider, r.count, r.last]));
    case 'time-to-complete':
      return table(['month', 'completed', 'p50', 'p90'], (rows as CompletionRow[]).map((r) => [r.month, r.completed, duration(r.p50Ms), duration(r.p90Ms)]));
    case 'monthly':
      return table(['month', counted, 'outcomes'], (rows as MonthRow[]).map((r) => [r.month, r.tracebacks, counts(r.outcomes)]));
    case 'hops': {
      const h = rows as HopsReport;
      return `${h.tracebacks} completed ${kind === 'forward' ? 'trace forward' : 'traceback'}(s), ${h.mean} hops on average\n${table(['hops', counted], Object.entries(h.histogram).map(([k, v]) => [k, v]))}`;
    }
    case 'outcomes':
      return table(['outcome', counted], Object.entries(rows as OutcomesReport).map(([k, v]) => [k, v ?? 0]));
  }
}

function table(head: string[], rows: (string | number)[][]): string {
  const all = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return `${all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

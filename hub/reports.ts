/**
 * Reports over cases of one kind: who does not answer, how long cases take, how many there are, how many hops
 * they take and how they end. Tracebacks and trace forwards are never counted together (a forward asks one
 * holder about a number, so mixing them would skew hops and times): a report is of one kind (`report`). Pure
 * aggregation over a stream of cases (the caller reads them from the store); months are UTC calendar months of
 * the case's start. Row fields say `tracebacks` for the counted cases, whichever kind they are.
 */
import { type Case, type CaseKind, caseKind, type CaseStatus } from './case.js';

export const REPORTS = ['non-responsive', 'time-to-complete', 'monthly', 'hops', 'outcomes'] as const;
export type ReportName = (typeof REPORTS)[number];

export interface NonResponsiveRow {
  provider: string;
  /** Tracebacks that ended non-responsive at this provider. */
  count: number;
  /** When the last of them ended (ISO 8601). */
  last: string;
}

export interface CompletionRow {
  month: string;
  completed: number;
  p50Ms: number;
  p90Ms: number;
}

export interface MonthRow {
  month: string;
  tracebacks: number;
  outcomes: Partial<Record<CaseStatus, number>>;
}

export interface HopsReport {
  /** Completed tracebacks counted. */
  tracebacks: number;
  mean: number;
  /** Number of hops → tracebacks with that many. */
  histogram: Record<string, number>;
}

export type OutcomesReport = Partial<Record<CaseStatus, number>>;

export function nonResponsive(cases: Iterable<Case>): NonResponsiveRow[] {
  const rows = new Map<string, { count: number; last: number }>();
  for (const c of cases) {
    const at = c.hops.at(-1);
    if (c.status !== 'non_responsive' || !at) continue;
    const row = rows.get(at.provider) ?? { count: 0, last: 0 };
    row.count++;
    row.last = Math.max(row.last, endOf(c));
    rows.set(at.provider, row);
  }
  return [...rows]
    .map(([provider, r]) => ({ provider, count: r.count, last: new Date(r.last).toISOString() }))
    .sort((a, b) => b.count - a.count || (a.provider < b.provider ? -1 : 1));
}

export function timeToComplete(cases: Iterable<Case>): CompletionRow[] {
  const byMonth = group(ended(cases), (c) => endOf(c) - c.createdAt);
  return [...byMonth].sort(byKey).map(([month, ms]) => {
    ms.sort((a, b) => a - b);
    return { month, completed: ms.length, p50Ms: percentile(ms, 0.5), p90Ms: percentile(ms, 0.9) };
  });
}

export function monthly(cases: Iterable<Case>): MonthRow[] {
  const rows = new Map<string, MonthRow>();
  for (const c of cases) {
    const month = monthOf(c.createdAt);
    const row = rows.get(month) ?? { month, tracebacks: 0, outcomes: {} };
    row.tracebacks++;
    row.outcomes[c.status] = (row.outcomes[c.status] ?? 0) + 1;
    rows.set(month, row);
  }
  return [...rows.values()].sort((a, b) => (a.month < b.month ? -1 : 1));
}

export function hopsPerCase(cases: Iterable<Case>): HopsReport {
  const histogram: Record<string, number> = {};
  let n = 0;
  let total = 0;
  for (const c of ended(cases)) {
    n++;
    total += c.hops.length;
    histogram[c.hops.length] = (histogram[c.hops.length] ?? 0) + 1;
  }
  return { tracebacks: n, mean: n ? Math.round((total / n) * 100) / 100 : 0, histogram };
}

export function outcomes(cases: Iterable<Case>): OutcomesReport {
  const out: OutcomesReport = {};
  for (const c of cases) out[c.status] = (out[c.status] ?? 0) + 1;
  return out;
}

/** The report `name` over the cases of `kind` only. */
export function report(name: ReportName, all: Iterable<Case>, kind: CaseKind): unknown {
  const cases = [...ofKind(all, kind)];
  switch (name) {
    case 'non-responsive':
      return nonResponsive(cases);
    case 'time-to-complete':
      return timeToComplete(cases);
    case 'monthly':
      return monthly(cases);
    case 'hops':
      return hopsPerCase(cases);
    case 'outcomes':
      return outcomes(cases);
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function* ofKind(cases: Iterable<Case>, kind: CaseKind): Iterable<Case> {
  for (const c of cases) if (caseKind(c) === kind) yield c;
}

/** Tracebacks that reached an outcome of their own (a cancelled one was stopped, not completed). */
function* ended(cases: Iterable<Case>): Iterable<Case> {
  for (const c of cases) if (c.status !== 'open' && c.status !== 'cancelled') yield c;
}

function endOf(c: Case): number {
  return c.endedAt ?? c.updatedAt;
}

function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

function group(cases: Iterable<Case>, value: (c: Case) => number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const c of cases) {
    const m = monthOf(c.createdAt);
    const list = out.get(m) ?? [];
    list.push(value(c));
    out.set(m, list);
  }
  return out;
}

function byKey<T>(a: [string, T], b: [string, T]): number {
  return a[0] < b[0] ? -1 : 1;
}

import { describe, expect, it } from 'vitest';
import { hopsPerCase, monthly, nonResponsive, outcomes, percentile, report, timeToComplete } from '../../hub/reports.js';
import { tracedCase } from './traced-case.js';

const S = 1000;
const cases = [
  tracedCase({ id: '1', chain: ['t', 'a', 'o'], status: 'originated', createdAt: '2026-10-03T10:00:00Z', tookMs: 40 }),
  tracedCase({ id: '2', chain: ['t', 'a'], status: 'non_responsive', createdAt: '2026-10-05T10:00:00Z', tookMs: 30 * S }),
  tracedCase({ id: '3', chain: ['t', 'b'], status: 'non_responsive', createdAt: '2026-11-01T10:00:00Z', tookMs: 60 * S }),
  tracedCase({ id: '4', chain: ['t', 'a'], status: 'non_responsive', createdAt: '2026-11-02T10:00:00Z', tookMs: 90 * S }),
  tracedCase({ id: '5', chain: ['t'], status: 'not_found', createdAt: '2026-11-03T10:00:00Z', tookMs: 20 }),
  tracedCase({ id: '6', chain: ['t', 'a', 'b', 'o'], status: 'open', createdAt: '2026-11-04T10:00:00Z' }),
  tracedCase({ id: '7', chain: ['t'], status: 'cancelled', createdAt: '2026-11-05T10:00:00Z', tookMs: 5 }),
];

describe('reports', () => {
  it('lists non-responsive providers by count, with the time the last one ended', () => {
    expect(nonResponsive(cases)).toEqual([
      { provider: 'a', count: 2, last: '2026-11-02T10:01:30.000Z' },
      { provider: 'b', count: 1, last: '2026-11-01T10:01:00.000Z' },
    ]);
  });

  it('gives p50 and p90 time to complete per month of start, leaving open and cancelled cases out', () => {
    expect(timeToComplete(cases)).toEqual([
      { month: '2026-10', completed: 2, p50Ms: 40, p90Ms: 30 * S },
      { month: '2026-11', completed: 3, p50Ms: 60 * S, p90Ms: 90 * S },
    ]);
  });

  it('counts tracebacks per month with their outcomes, open and cancelled included', () => {
    expect(monthly(cases)).toEqual([
      { month: '2026-10', tracebacks: 2, outcomes: { originated: 1, non_responsive: 1 } },
      { month: '2026-11', tracebacks: 5, outcomes: { non_responsive: 2, not_found: 1, open: 1, cancelled: 1 } },
    ]);
  });

  it('gives hops per completed case as a mean and a histogram', () => {
    expect(hopsPerCase(cases)).toEqual({ tracebacks: 5, mean: 2, histogram: { 1: 1, 2: 3, 3: 1 } });
    expect(hopsPerCase([])).toEqual({ tracebacks: 0, mean: 0, histogram: {} });
  });

  it('counts outcomes, and serves each report by name', () => {
    expect(outcomes(cases)).toEqual({ originated: 1, non_responsive: 3, not_found: 1, open: 1, cancelled: 1 });
    expect(report('outcomes', cases, 'traceback')).toEqual(outcomes(cases));
    expect(report('hops', cases, 'traceback')).toEqual(hopsPerCase(cases));
  });

  it('reports tracebacks and trace forwards apart, never counted together', () => {
    const forwards = [
      { ...tracedCase({ id: 'f1', chain: ['holder'], status: 'originated', createdAt: '2026-11-06T10:00:00Z', tookMs: 3_600 * S }), forward: { number: '+13125550142' } },
      { ...tracedCase({ id: 'f2', chain: ['holder', 'ported-to'], status: 'non_responsive', createdAt: '2026-11-07T10:00:00Z', tookMs: 86_400 * S }), forward: { number: '+13125550143' } },
    ];
    const mixed = [...cases, ...forwards];
    for (const name of ['non-responsive', 'time-to-complete', 'monthly', 'hops', 'outcomes'] as const) {
      expect(report(name, mixed, 'traceback'), name).toEqual(report(name, cases, 'traceback'));
    }
    expect(report('outcomes', mixed, 'forward')).toEqual({ originated: 1, non_responsive: 1 });
    expect(report('non-responsive', mixed, 'forward')).toEqual([{ provider: 'ported-to', count: 1, last: '2026-11-08T10:00:00.000Z' }]);
    expect(report('hops', mixed, 'forward')).toEqual({ tracebacks: 2, mean: 1.5, histogram: { 1: 1, 2: 1 } });
    expect(report('monthly', cases, 'forward')).toEqual([]);
  });

  it('takes nearest-rank percentiles', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect([percentile(ten, 0.5), percentile(ten, 0.9), percentile(ten, 0.99), percentile([7], 0.5), percentile([], 0.5)]).toEqual([5, 9, 10, 7, 0]);
  });
});

/**
 * The providers scoreboard from the tracebacks the signed-in token can see: for each provider, how often it
 * was asked, how often it answered, how fast (median and 90th percentile from first query to answer), and how
 * often it stayed silent. Pure.
 */
import { hopTook } from './format.js';

export function scoreboard(cases) {
  const rows = new Map();
  const row = (id) => rows.get(id) ?? rows.set(id, { provider: id, asked: 0, answered: 0, unanswered: 0, manual: 0, times: [] }).get(id);
  for (const c of cases) {
    for (const hop of c.hops) {
      const r = row(hop.provider);
      r.asked++;
      if (hop.mode === 'manual') r.manual++;
      if (hop.state === 'answered') {
        r.answered++;
        const took = hopTook(hop);
        if (took !== undefined) r.times.push(took);
      } else if (hop.state === 'unanswered') r.unanswered++;
    }
  }
  return [...rows.values()].map(({ times, ...r }) => {
    times.sort((a, b) => a - b);
    return { ...r, p50Ms: percentile(times, 0.5), p90Ms: percentile(times, 0.9) };
  });
}

/** Nearest-rank percentile of sorted values; undefined when there are none. */
export function percentile(sorted, p) {
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

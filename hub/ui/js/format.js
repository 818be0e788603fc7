/** How the UI words statuses, outcomes, times and durations. Pure. */

export const STATUS_LABELS = {
  open: 'Open',
  originated: 'Originated',
  foreign: 'Foreign (point of entry)',
  non_responsive: 'Non-responsive',
  not_found: 'Not found',
  loop: 'Loop',
  cancelled: 'Cancelled',
};

export const STATUSES = Object.keys(STATUS_LABELS);

export function statusLabel(status) {
  return STATUS_LABELS[status] ?? status;
}

/** What the case found, in a few words: who originated it, where it entered, or why it stopped. */
export function outcomeText(c) {
  if (c.status === 'open') return `asking ${c.hops.at(-1)?.provider ?? '…'}`;
  if (c.status === 'originated') {
    const customer = c.hops.at(-1)?.answer?.matches?.[0]?.customer;
    const who = customer ? ` (customer ${[customer.account, customer.name].filter(Boolean).join(', ')})` : '';
    return `originator ${c.originator ?? c.hops.at(-1)?.provider ?? '?'}${who}`;
  }
  if (c.status === 'foreign') return `point of entry ${c.pointOfEntry ?? c.hops.at(-1)?.provider ?? '?'}`;
  return c.detail ?? statusLabel(c.status);
}

/** "4 s", "12 min", "3 h", "2 d": the age of something that happened at `ms`. */
export function age(ms, now = Date.now()) {
  return roughDuration(Math.max(0, now - ms));
}

export function roughDuration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** A precise duration: "7 ms", "1.24 s", "3 min 5 s". */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms - m * 60_000) / 1000)} s`;
}

/** "2026-11-28 11:59:30 UTC" */
export function utc(msOrIso) {
  const d = new Date(msOrIso);
  return Number.isNaN(d.getTime()) ? String(msOrIso) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "11:59:30" (UTC), for labels that must stay short. */
export function clock(msOrIso) {
  const d = new Date(msOrIso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(11, 19);
}

export function shortId(id) {
  return id.length > 8 ? id.slice(0, 8) : id;
}

/** How long a hop took to answer, from its first query to its answer; undefined while it waits. */
export function hopTook(hop) {
  const first = hop.attempts?.[0];
  return hop.answeredAt !== undefined && first ? hop.answeredAt - first.sentAt : undefined;
}

/** "originated 3, foreign (point of entry) 1"; `short`: the bare status words, for labels in a drawing. */
export function counts(o, short = false) {
  return Object.entries(o ?? {})
    .sort(([a], [b]) => STATUSES.indexOf(a) - STATUSES.indexOf(b))
    .map(([k, v]) => `${short ? k.replace('_', '-') : statusLabel(k).toLowerCase()} ${v}`)
    .join(', ');
}

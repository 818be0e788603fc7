/**
 * The business-hours rule for manual hops (the industry traceback group's practice): a request that reaches a
 * provider outside business hours — 08:00 to 17:00 local time, Monday to Friday — counts as received at 08:00
 * on the next business day, and the person's deadline runs from then. Pure: times in, times out; the zone's
 * offsets (daylight saving included) come from the IANA database built into Intl.
 */

export const OPENS_HOUR = 8;
export const CLOSES_HOUR = 17;

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formats = new Map<string, Intl.DateTimeFormat>();

/** When a request sent at `sentAt` counts as received by a person working in `zone`. */
export function businessReceipt(sentAt: number, zone: string): number {
  const t = localTime(sentAt, zone);
  const isBusinessDay = t.weekday >= 1 && t.weekday <= 5;
  if (isBusinessDay && t.hour >= OPENS_HOUR && t.hour < CLOSES_HOUR) return sentAt;
  // Before opening on a business day: that day's opening; otherwise the next business day's.
  let day = Date.UTC(t.year, t.month - 1, t.day);
  if (!isBusinessDay || t.hour >= CLOSES_HOUR) {
    do day += 86_400_000;
    while ([0, 6].includes(new Date(day).getUTCDay()));
  }
  const d = new Date(day);
  return zonedInstant(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), OPENS_HOUR, zone);
}

/** The deadline of a manual hop sent at `sentAt`, counting `ms` from its receipt under the rule. */
export function businessDeadline(sentAt: number, ms: number, zone: string): number {
  return businessReceipt(sentAt, zone) + ms;
}

function localTime(at: number, zone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of format(zone).formatToParts(at)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
  };
}

/** The instant at which the wall clock in `zone` shows the given date at `hour`:00. */
function zonedInstant(year: number, month: number, day: number, hour: number, zone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour);
  // Two passes: the offset at the first guess may differ from the offset at the answer across a DST change.
  let at = wall - offsetAt(wall, zone);
  at = wall - offsetAt(at, zone);
  return at;
}

function offsetAt(at: number, zone: string): number {
  const t = localTime(at, zone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - Math.floor(at / 1000) * 1000;
}

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formats.set(zone, f);
  }
  return f;
}

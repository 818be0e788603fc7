/**
 * What a wall clock in an IANA zone shows at an instant, from the Intl time-zone database: never the host's
 * zone. One cached formatter per zone serves the hub's business hours, the demo's CDR writers and benchmarks.
 */

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
  /** The zone's short name at that instant (e.g. CST, CDT, or GMT-5 where none is in common use). */
  zoneName: string;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formats = new Map<string, Intl.DateTimeFormat>();

export function wallClock(at: number, zone: string): WallClock {
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
    zoneName: parts.timeZoneName ?? '',
  };
}

/** The zone's offset at `at` (local − UTC), in ms. */
export function zoneOffset(at: number, zone: string): number {
  const t = wallClock(at, zone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - Math.floor(at / 1000) * 1000;
}

/** Two digits, as CDR date and time fields write them. */
export const twoDigits = (n: number): string => String(n).padStart(2, '0');

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
      timeZoneName: 'short',
    });
    formats.set(zone, f);
  }
  return f;
}

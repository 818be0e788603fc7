/**
 * Local wall time in an IANA zone → UTC epoch ms (cdr-formats.md §4). Offsets come from Intl.DateTimeFormat,
 * never from the ingest host's zone. A wall time in the repeated hour of a DST fall-back has two instants: both
 * are returned (`at` the first, `atAlt` the second) so a lookup can match either. A wall time in the skipped
 * hour of a spring-forward can only have been written by a clock still on the old offset: that instant is used.
 */

export interface UtcTime {
  /** UTC epoch milliseconds. */
  at: number;
  /** The second candidate when the wall time fell in a repeated DST hour. */
  atAlt?: number;
  /** The writer flagged its clock as unsynchronised (Cisco/Acme `*` and `.` markers). */
  clockUntrusted?: boolean;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Offsets (ms, local − UTC) valid for one wall minute: one, two (repeated hour) or, in a gap, the old one. */
interface MinuteOffsets {
  first: number;
  second?: number;
}

class Zone {
  private readonly dtf: Intl.DateTimeFormat;
  private readonly minutes = new Map<number, MinuteOffsets>();
  /** null: the hour holds a transition, its minutes are looked up one by one. */
  private readonly hours = new Map<number, MinuteOffsets | null>();

  constructor(name: string) {
    this.dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  toUtc(wall: number): UtcTime {
    const offsets = this.hourly(wall) ?? this.perMinute(wall);
    const at = wall - offsets.first;
    return offsets.second === undefined ? { at } : { at, atAlt: wall - offsets.second };
  }

  /**
   * The offsets of a whole wall hour when its first and last minutes agree (every hour but those holding a
   * transition): a day of CDRs then costs 24 Intl lookups rather than 1,440 (4 % of Ribbon ingest CPU in a profile).
   */
  private hourly(wall: number): MinuteOffsets | undefined {
    const hour = Math.floor(wall / HOUR);
    let offsets = this.hours.get(hour);
    if (offsets === undefined) {
      // CDR files are time-ordered: a small cache of recent hours serves nearly every line.
      if (this.hours.size >= 4096) this.hours.clear();
      const first = this.offsetsFor(hour * HOUR);
      const last = this.offsetsFor((hour + 1) * HOUR - MINUTE);
      offsets = first.first === last.first && first.second === last.second ? first : null;
      this.hours.set(hour, offsets);
    }
    return offsets ?? undefined;
  }

  private perMinute(wall: number): MinuteOffsets {
    const minute = Math.floor(wall / MINUTE);
    let offsets = this.minutes.get(minute);
    if (offsets === undefined) {
      if (this.minutes.size >= 4096) this.minutes.clear();
      offsets = this.offsetsFor(minute * MINUTE);
      this.minutes.set(minute, offsets);
    }
    return offsets;
  }

  /** Offsets in force a day either side bracket at most one transition (true of every tz rule in use). */
  private offsetsFor(wall: number): MinuteOffsets {
    const before = this.offsetAt(wall - DAY);
    const after = this.offsetAt(wall + DAY);
    if (before === after) return { first: before };
    const beforeFits = this.offsetAt(wall - before) === before;
    const afterFits = this.offsetAt(wall - after) === after;
    if (beforeFits && afterFits) {
      // Repeated hour: the earlier instant is the one with the larger (pre-fall-back) offset.
      return before > after ? { first: before, second: after } : { first: after, second: before };
    }
    if (beforeFits) return { first: before };
    if (afterFits) return { first: after };
    // Skipped hour: only a clock still on the old offset writes it.
    return { first: before };
  }

  private offsetAt(utc: number): number {
    const p = this.dtf.formatToParts(utc);
    let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    for (const part of p) {
      switch (part.type) {
        case 'year': y = Number(part.value); break;
        case 'month': mo = Number(part.value); break;
        case 'day': d = Number(part.value); break;
        case 'hour': h = Number(part.value); break;
        case 'minute': mi = Number(part.value); break;
        case 'second': s = Number(part.value); break;
      }
    }
    const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
    return asUtc - (utc - mod(utc, 1000));
  }
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

const zones = new Map<string, Zone | null>();

function zoneNamed(name: string): Zone | null {
  let z = zones.get(name);
  if (z === undefined) {
    try {
      z = new Zone(name);
    } catch {
      z = null; // RangeError: not a zone this runtime knows
    }
    zones.set(name, z);
  }
  return z;
}

/** True when `name` is an IANA zone name known to this runtime. */
export function isTimeZone(name: string): boolean {
  return name !== '' && zoneNamed(name) !== null;
}

/**
 * `wall` = the local date and time encoded as if it were UTC (`Date.UTC(y, m - 1, d, h, mi, s, ms)`).
 * Returns a reason string when the zone is unknown.
 */
export function zonedToUtc(wall: number, zone: string): UtcTime | string {
  const z = zoneNamed(zone);
  if (z === null) return `time zone "${zone}" is not an IANA zone name`;
  return z.toUtc(wall);
}

/**
 * Calendar check for the parsers: Date.UTC silently rolls 02/30 over to 03/02, a CDR date must not.
 * Returns the wall encoding or null.
 */
export function wallTime(
  year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number,
): number | null {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60 || year < 1970) return null;
  if (day > daysInMonth(year, month)) return null;
  // A leap second (…:60, which some switches write) is folded onto the next second.
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The time syntaxes CDR writers use (cdr-formats.md §4), read with char loops (no regular expressions: these
 * run on every line). Each reader returns a *wall* value (the local time encoded as if UTC, see time.ts), or
 * milliseconds, or null when the text does not have the syntax; formats turn null into a line error naming
 * the field, and the wall value into UTC with the zone the record or the source declares.
 */
import { wallTime, zonedToUtc, type UtcTime } from './time.js';

const ZERO = 48;
const NINE = 57;
const MINUTE = 60_000;

/** Value of `len` decimal digits at `from`, or -1. */
function digits(s: string, from: number, len: number): number {
  if (from + len > s.length) return -1;
  let n = 0;
  for (let i = from; i < from + len; i++) {
    const c = s.charCodeAt(i);
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
  }
  return n;
}

/** Milliseconds of a fraction written after the '.', any number of digits (tenths for Ribbon, µs for epochs). */
function fraction(s: string, from: number): number {
  const len = s.length - from;
  if (len < 1 || len > 9) return -1;
  const n = digits(s, from, len);
  return n < 0 ? -1 : Math.floor((n * 1000) / 10 ** len);
}

/** Ribbon `mm/dd/yyyy` → wall midnight. */
export function dateMdy(s: string): number | null {
  if (s.length !== 10 || s.charCodeAt(2) !== 47 || s.charCodeAt(5) !== 47) return null;
  const m = digits(s, 0, 2), d = digits(s, 3, 2), y = digits(s, 6, 4);
  if (m < 0 || d < 0 || y < 0) return null;
  return wallTime(y, m, d, 0, 0, 0, 0);
}

/** `hh:mm:ss` with an optional `.fraction` (Ribbon writes tenths: `18:00:00.4`) → ms since midnight. */
export function timeOfDay(s: string): number | null {
  if (s.length < 8 || s.charCodeAt(2) !== 58 || s.charCodeAt(5) !== 58) return null;
  const h = digits(s, 0, 2), mi = digits(s, 3, 2), sec = digits(s, 6, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return null;
  let ms = 0;
  if (s.length > 8) {
    if (s.charCodeAt(8) !== 46) return null;
    ms = fraction(s, 9);
    if (ms < 0) return null;
  }
  return ((h * 60 + mi) * 60 + sec) * 1000 + ms;
}

/** `YYYY-MM-DD HH:MM:SS[.fff]` (also with `T`), no offset: Asterisk, FreeSWITCH `*_stamp`, SQL DATETIME. */
export function dateTimeIso(s: string): number | null {
  if (s.length < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return null;
  const sep = s.charCodeAt(10);
  if (sep !== 32 && sep !== 84) return null;
  const y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || m < 0 || d < 0) return null;
  const day = wallTime(y, m, d, 0, 0, 0, 0);
  const tod = timeOfDay(s.slice(11));
  return day === null || tod === null ? null : day + tod;
}

/** ISO 8601 with its offset, `2025-12-31T18:00:00.5-06:00` or `…Z` → UTC ms. */
export function isoInstant(s: string): number | null {
  if (s.length < 20) return null;
  if (s.charCodeAt(s.length - 1) === 90) {
    const wall = dateTimeIso(s.slice(0, -1));
    return wall;
  }
  const offset = fixedOffset(s.slice(-6));
  const wall = offset === null ? null : dateTimeIso(s.slice(0, -6));
  return wall === null || offset === null ? null : wall - offset;
}

/** BroadWorks `yyyymmddhhmmss[.mmm]`. */
export function broadworksStamp(s: string): number | null {
  if (s.length < 14) return null;
  const y = digits(s, 0, 4), mo = digits(s, 4, 2), d = digits(s, 6, 2);
  const h = digits(s, 8, 2), mi = digits(s, 10, 2), sec = digits(s, 12, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return null;
  let ms = 0;
  if (s.length > 14) {
    if (s.charCodeAt(14) !== 46) return null;
    ms = fraction(s, 15);
    if (ms < 0) return null;
  }
  return wallTime(y, mo, d, h, mi, sec, ms);
}

/** BroadWorks zone `1+020000`: DST flag, then ±hhmmss from GMT → offset ms (local − UTC). */
export function broadworksOffset(s: string): number | null {
  if (s.length !== 8) return null;
  const dst = s.charCodeAt(0);
  const sign = s.charCodeAt(1);
  if ((dst !== 48 && dst !== 49) || (sign !== 43 && sign !== 45)) return null;
  const h = digits(s, 2, 2), mi = digits(s, 4, 2), sec = digits(s, 6, 2);
  if (h < 0 || h > 14 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return null;
  const ms = ((h * 60 + mi) * 60 + sec) * 1000;
  return sign === 43 ? ms : -ms;
}

const MONTHS: ReadonlyMap<string, number> = new Map(
  ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'].map((m, i) => [m, i + 1]),
);
const WEEKDAYS: ReadonlySet<string> = new Set(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN']);

function month(token: string | undefined): number {
  return token !== undefined && token.length === 3 ? MONTHS.get(token.toUpperCase()) ?? -1 : -1;
}

/** Split on runs of spaces (ctime pads single-digit days: `Wed Dec  3 …`). */
function words(s: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s.charCodeAt(i) === 32) {
      if (i > from) out.push(s.slice(from, i));
      from = i + 1;
    }
  }
  return out;
}

/** C `ctime()` text, `Wed Dec 31 18:00:00 2025` (Sansay). */
export function ctime(s: string): number | null {
  const w = words(s);
  if (w.length !== 5 || !WEEKDAYS.has((w[0] ?? '').toUpperCase())) return null;
  const m = month(w[1]);
  const dayText = w[2] ?? '';
  const d = dayText.length === 1 ? digits(dayText, 0, 1) : dayText.length === 2 ? digits(dayText, 0, 2) : -1;
  const tod = timeOfDay(w[3] ?? '');
  const yearText = w[4] ?? '';
  const y = yearText.length === 4 ? digits(yearText, 0, 4) : -1;
  if (m < 0 || d < 0 || y < 0 || tod === null) return null;
  const day = wallTime(y, m, d, 0, 0, 0, 0);
  return day === null ? null : day + tod;
}

export interface CiscoTime {
  wall: number;
  /** The zone abbreviation as written (`PST`, `GMT`), upper-case. */
  abbreviation: string;
  /** `*` (no valid NTP reference) or `.` (NTP sync lost) in front of the time. */
  untrusted: boolean;
}

/**
 * Cisco/Acme/AudioCodes `[*.]hh:mm:ss.mmm ZONE [Www] Mmm dd yyyy`: `15:54:56.868 PST DEC 18 2017`,
 * `*14:30:25.429 GMT Wed Jan 23 2002`. Months in either case.
 */
export function ciscoTime(s: string): CiscoTime | null {
  let text = s.trim();
  const mark = text.charCodeAt(0);
  const untrusted = mark === 42 || mark === 46;
  if (untrusted) text = text.slice(1);
  const w = words(text);
  if (w.length === 6) {
    if (!WEEKDAYS.has((w[2] ?? '').toUpperCase())) return null;
    w.splice(2, 1);
  }
  if (w.length !== 5) return null;
  const tod = timeOfDay(w[0] ?? '');
  const abbreviation = (w[1] ?? '').toUpperCase();
  const m = month(w[2]);
  const dayText = w[3] ?? '';
  const d = dayText.length === 1 ? digits(dayText, 0, 1) : dayText.length === 2 ? digits(dayText, 0, 2) : -1;
  const yearText = w[4] ?? '';
  const y = yearText.length === 4 ? digits(yearText, 0, 4) : -1;
  if (tod === null || abbreviation === '' || m < 0 || d < 0 || y < 0) return null;
  const day = wallTime(y, m, d, 0, 0, 0, 0);
  return day === null ? null : { wall: day + tod, abbreviation, untrusted };
}

/** Abbreviations that mean one thing everywhere; all others (CST, IST, PST…) must be configured. */
const UNIVERSAL_ABBREVIATIONS: Readonly<Record<string, string>> = { UTC: '+00:00', GMT: '+00:00' };

/** `+hh:mm` / `-hh:mm` → ms, else null (then the value is an IANA zone name). */
export function fixedOffset(s: string): number | null {
  if (s.length !== 6 || s.charCodeAt(3) !== 58) return null;
  const sign = s.charCodeAt(0);
  if (sign !== 43 && sign !== 45) return null;
  const h = digits(s, 1, 2), mi = digits(s, 4, 2);
  if (h < 0 || h > 14 || mi < 0 || mi > 59) return null;
  const ms = (h * 60 + mi) * MINUTE;
  return sign === 43 ? ms : -ms;
}

/**
 * A Cisco-style time to UTC. `zones` maps an abbreviation to a fixed offset (`-08:00`: PST is −8 h whatever the
 * date) or an IANA zone (then the repeated DST hour keeps both candidates). An abbreviation nobody configured is
 * an error, never a silent UTC (cdr-formats.md §4).
 */
export function ciscoToUtc(s: string, zones: Readonly<Record<string, string>>): UtcTime | string {
  const t = ciscoTime(s);
  if (t === null) return `"${s}" is not hh:mm:ss.mmm ZONE [Www] Mmm dd yyyy`;
  const zone = zones[t.abbreviation] ?? UNIVERSAL_ABBREVIATIONS[t.abbreviation];
  if (zone === undefined) return `time zone abbreviation "${t.abbreviation}" is not configured (options.zones)`;
  const offset = fixedOffset(zone);
  const utc = offset === null ? zonedToUtc(t.wall, zone) : { at: t.wall - offset };
  if (typeof utc === 'string' || !t.untrusted) return utc;
  return { ...utc, clockUntrusted: true };
}

export type EpochUnit = 's' | 'ms' | 'us';

/**
 * Epoch digits in `unit` → UTC ms; seconds may carry a fraction (`1767225600.123`: Kamailio time_mode 2,
 * Asterisk `start(u)`). 0 and empty mean "not set" in every writer that uses epochs: null.
 */
export function epoch(s: string, unit: EpochUnit): number | null {
  const dot = s.indexOf('.');
  const intLen = dot < 0 ? s.length : dot;
  if (intLen < 1 || intLen > 16) return null;
  const whole = digits(s, 0, intLen);
  if (whole <= 0) return null;
  let frac = 0;
  if (dot >= 0) {
    frac = fraction(s, dot + 1);
    if (frac < 0) return null;
  }
  if (unit === 's') return whole * 1000 + frac;
  return unit === 'ms' ? whole : Math.floor(whole / 1000);
}

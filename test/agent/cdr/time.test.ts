import { describe, expect, it } from 'vitest';
import { isTimeZone, wallTime, zonedToUtc } from '../../../agent/cdr/time.js';
import { utc } from './fixture.js';

/** A local wall time, encoded as the parsers encode it. */
function wall(y: number, mo: number, d: number, h: number, mi: number, s = 0, ms = 0): number {
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

describe('zonedToUtc', () => {
  it('converts an ordinary local time with the zone offset of that date', () => {
    expect(zonedToUtc(wall(2025, 12, 31, 18, 0, 0, 400), 'America/Chicago')).toEqual({ at: utc('2025-12-31T18:00:00.400-06:00') });
    expect(zonedToUtc(wall(2025, 7, 1, 18, 0), 'America/Chicago')).toEqual({ at: utc('2025-07-01T18:00:00-05:00') });
    expect(zonedToUtc(wall(2025, 7, 1, 18, 0), 'Asia/Kolkata')).toEqual({ at: utc('2025-07-01T18:00:00+05:30') });
    expect(zonedToUtc(wall(2025, 7, 1, 18, 0), 'UTC')).toEqual({ at: utc('2025-07-01T18:00:00Z') });
  });

  it('returns both instants for a time in the repeated fall-back hour, the first one as at', () => {
    expect(zonedToUtc(wall(2025, 11, 2, 1, 30), 'America/Chicago')).toEqual({
      at: utc('2025-11-02T01:30:00-05:00'),
      atAlt: utc('2025-11-02T01:30:00-06:00'),
    });
    // Southern hemisphere: Sydney falls back on the first Sunday of April.
    expect(zonedToUtc(wall(2025, 4, 6, 2, 15), 'Australia/Sydney')).toEqual({
      at: utc('2025-04-06T02:15:00+11:00'),
      atAlt: utc('2025-04-06T02:15:00+10:00'),
    });
  });

  it('handles a half-hour DST shift to the minute (Lord Howe repeats 01:30–02:00)', () => {
    expect(zonedToUtc(wall(2025, 4, 6, 1, 45), 'Australia/Lord_Howe')).toEqual({
      at: utc('2025-04-06T01:45:00+11:00'),
      atAlt: utc('2025-04-06T01:45:00+10:30'),
    });
    expect(zonedToUtc(wall(2025, 4, 6, 1, 29), 'Australia/Lord_Howe')).toEqual({ at: utc('2025-04-06T01:29:00+11:00') });
  });

  it('reads a time in the skipped spring-forward hour as written by a clock still on the old offset', () => {
    expect(zonedToUtc(wall(2025, 3, 9, 2, 30), 'America/Chicago')).toEqual({ at: utc('2025-03-09T02:30:00-06:00') });
  });

  it('has no second candidate just outside the repeated hour', () => {
    expect(zonedToUtc(wall(2025, 11, 2, 0, 59), 'America/Chicago')).toEqual({ at: utc('2025-11-02T00:59:00-05:00') });
    expect(zonedToUtc(wall(2025, 11, 2, 2, 0), 'America/Chicago')).toEqual({ at: utc('2025-11-02T02:00:00-06:00') });
  });

  it('names an unknown zone instead of guessing', () => {
    expect(zonedToUtc(0, 'Mars/Olympus_Mons')).toBe('time zone "Mars/Olympus_Mons" is not an IANA zone name');
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('America/Chicago')).toBe(true);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('wallTime', () => {
  it('refuses dates that Date.UTC would roll over', () => {
    expect(wallTime(2025, 2, 29, 0, 0, 0, 0)).toBeNull();
    expect(wallTime(2024, 2, 29, 0, 0, 0, 0)).toBe(Date.UTC(2024, 1, 29));
    expect(wallTime(2025, 4, 31, 0, 0, 0, 0)).toBeNull();
    expect(wallTime(2025, 13, 1, 0, 0, 0, 0)).toBeNull();
    expect(wallTime(2025, 1, 1, 24, 0, 0, 0)).toBeNull();
  });
});

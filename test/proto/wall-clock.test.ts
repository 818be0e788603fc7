import { describe, expect, it } from 'vitest';
import { twoDigits, wallClock, zoneOffset } from '../../proto/wall-clock.js';

describe('wallClock / zoneOffset', () => {
  it('reads Chicago across the spring-forward gap of 2025-03-09', () => {
    const before = Date.UTC(2025, 2, 9, 7, 59, 59);
    expect(wallClock(before, 'America/Chicago')).toEqual({ year: 2025, month: 3, day: 9, hour: 1, minute: 59, second: 59, weekday: 0, zoneName: 'CST' });
    expect(wallClock(before + 1000, 'America/Chicago')).toMatchObject({ hour: 3, minute: 0, second: 0, zoneName: 'CDT' });
    expect(zoneOffset(before, 'America/Chicago')).toBe(-6 * 3_600_000);
    expect(zoneOffset(before + 1000, 'America/Chicago')).toBe(-5 * 3_600_000);
  });

  it('ignores the host zone and shows midnight as hour 0', () => {
    expect(wallClock(Date.UTC(2026, 0, 1, 0, 0, 0), 'UTC')).toEqual({ year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0, weekday: 4, zoneName: 'UTC' });
    expect(zoneOffset(Date.UTC(2026, 6, 1, 12), 'Asia/Kolkata')).toBe(5.5 * 3_600_000);
  });

  it('pads CDR fields to two digits', () => {
    expect([twoDigits(3), twoDigits(12)]).toEqual(['03', '12']);
  });
});

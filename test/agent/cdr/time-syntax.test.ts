import { describe, expect, it } from 'vitest';
import {
  broadworksOffset, broadworksStamp, ciscoTime, ciscoToUtc, ctime, dateMdy, dateTimeIso, epoch, isoInstant, timeOfDay,
} from '../../../agent/cdr/time-syntax.js';
import { utc } from './fixture.js';

describe('Ribbon date and time', () => {
  it('reads mm/dd/yyyy and hh:mm:ss.d (tenths)', () => {
    expect(dateMdy('12/31/2025')).toBe(Date.UTC(2025, 11, 31));
    expect(timeOfDay('18:00:00.4')).toBe((18 * 3600) * 1000 + 400);
    expect(timeOfDay('18:00:00')).toBe(18 * 3600 * 1000);
  });

  it.each(['99/99/2025', '2025-12-31', '12/31/25', '02/30/2025', ''])('refuses the date %j', (s) => {
    expect(dateMdy(s)).toBeNull();
  });

  it.each(['24:00:00.0', '18:60:00.0', '18:00:00,4', '18:00', '18:00:00.'])('refuses the time %j', (s) => {
    expect(timeOfDay(s)).toBeNull();
  });
});

describe('Cisco / Acme times', () => {
  it('reads the Acme form with an upper-case month and no weekday', () => {
    expect(ciscoTime('15:54:56.868 PST DEC 18 2017')).toEqual({ wall: Date.UTC(2017, 11, 18, 15, 54, 56, 868), abbreviation: 'PST', untrusted: false });
  });

  it('reads the CUBE form with a weekday and marks * and . as untrusted clocks', () => {
    expect(ciscoTime('*14:30:25.429 GMT Wed Jan 23 2002')).toEqual({ wall: Date.UTC(2002, 0, 23, 14, 30, 25, 429), abbreviation: 'GMT', untrusted: true });
    expect(ciscoTime('.14:30:25.429 GMT Wed Jan 23 2002')?.untrusted).toBe(true);
  });

  it('converts with a configured fixed offset, an IANA zone, or the universal GMT/UTC', () => {
    expect(ciscoToUtc('15:54:56.868 PST DEC 18 2017', { PST: '-08:00' })).toEqual({ at: utc('2017-12-18T15:54:56.868-08:00') });
    expect(ciscoToUtc('01:30:00.000 CT NOV 02 2025', { CT: 'America/Chicago' })).toEqual({
      at: utc('2025-11-02T01:30:00-05:00'),
      atAlt: utc('2025-11-02T01:30:00-06:00'),
    });
    expect(ciscoToUtc('*14:30:25.429 GMT Wed Jan 23 2002', {})).toEqual({ at: utc('2002-01-23T14:30:25.429Z'), clockUntrusted: true });
  });

  it('fails loudly for an abbreviation nobody configured', () => {
    expect(ciscoToUtc('15:54:56.868 CST DEC 18 2017', {})).toBe('time zone abbreviation "CST" is not configured (options.zones)');
  });

  it.each(['15:54:56.868 PST 18 DEC 2017', '15:54:56.868 PST DEC 32 2017', 'Wed Jan 23 2002', '15:54:56.868 PST Xyz DEC 18 2017'])(
    'refuses %j with the expected syntax in the reason',
    (s) => {
      expect(ciscoToUtc(s, { PST: '-08:00' })).toBe(`"${s}" is not hh:mm:ss.mmm ZONE [Www] Mmm dd yyyy`);
    },
  );
});

describe('BroadWorks times', () => {
  it('reads yyyymmddhhmmss.mmm and the DST-flag zone string', () => {
    expect(broadworksStamp('20160419210005.247')).toBe(Date.UTC(2016, 3, 19, 21, 0, 5, 247));
    expect(broadworksOffset('1+020000')).toBe(2 * 3600 * 1000);
    expect(broadworksOffset('0-053000')).toBe(-(5.5 * 3600 * 1000));
  });

  it.each(['2016041921000', '20161319210005.247', '20160419210005,247'])('refuses the stamp %j', (s) => {
    expect(broadworksStamp(s)).toBeNull();
  });

  it.each(['+020000', '2+020000', '1*020000', '1+2000'])('refuses the zone %j', (s) => {
    expect(broadworksOffset(s)).toBeNull();
  });
});

describe('ctime (Sansay)', () => {
  it('reads ctime text, with the space-padded day', () => {
    expect(ctime('Wed Dec 31 18:00:00 2025')).toBe(Date.UTC(2025, 11, 31, 18));
    expect(ctime('Sun Nov  2 01:30:00 2025')).toBe(Date.UTC(2025, 10, 2, 1, 30));
  });

  it.each(['NA', 'Someday 18:06:00', 'Wed Dec 31 18:00:00', 'Wed 31 Dec 18:00:00 2025'])('refuses %j', (s) => {
    expect(ctime(s)).toBeNull();
  });
});

describe('epochs and ISO text', () => {
  it('reads epochs in s (with a fraction), ms and µs', () => {
    expect(epoch('1767225600', 's')).toBe(1767225600000);
    expect(epoch('1767225600.25', 's')).toBe(1767225600250);
    expect(epoch('1767225600123', 'ms')).toBe(1767225600123);
    expect(epoch('1767225600740238', 'us')).toBe(1767225600740);
  });

  it.each(['0', '', '-1', '17672256OO', '1.2.3'])('treats %j as not an epoch', (s) => {
    expect(epoch(s, 's')).toBeNull();
  });

  it('reads YYYY-MM-DD HH:MM:SS as a wall time, and ISO 8601 with its offset as an instant', () => {
    expect(dateTimeIso('2025-12-31 18:00:00')).toBe(Date.UTC(2025, 11, 31, 18));
    expect(dateTimeIso('2025-12-31T18:00:00.5')).toBe(Date.UTC(2025, 11, 31, 18, 0, 0, 500));
    expect(dateTimeIso('2025-13-45 25:00:00')).toBeNull();
    expect(isoInstant('2025-12-31T18:00:00.250-06:00')).toBe(utc('2025-12-31T18:00:00.250-06:00'));
    expect(isoInstant('2026-01-01T00:01:00Z')).toBe(utc('2026-01-01T00:01:00Z'));
    expect(isoInstant('2025-12-31T18:00:00')).toBeNull();
  });
});

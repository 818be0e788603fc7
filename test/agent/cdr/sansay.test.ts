import { describe, expect, it } from 'vitest';
import { sansay } from '../../../agent/cdr/sansay.js';
import { readLines, utc, type Setting } from './fixture.js';

const FILE = 'sansay/cdr_20251231.txt';
const setting: Setting = { zone: 'UTC', options: {} };
const peerB = { ip: '198.51.100.9', trunkGroup: '000312' };

describe('sansay format (VSX)', () => {
  const { records, errors } = readLines(sansay, FILE, setting);

  it('reads an R record: ctime start + minutes west, origination trunk and source host, Call-ID', () => {
    expect(records[0]).toEqual({
      at: utc('2025-12-31T18:00:00-06:00'),
      calling: '+13125550117',
      called: '+12025550143',
      source: 'cdr:sansay',
      ingress: { ip: '203.0.113.40', trunkGroup: '000311' },
      callId: 'a84b4c76e66710@203.0.113.40',
    });
  });

  it('keeps every route attempt of one call (intermediate I and final F), sharing the Call-ID', () => {
    const attempt = {
      at: utc('2025-12-31T18:01:00-06:00'),
      calling: '+13125550118',
      called: '+12025550144',
      source: 'cdr:sansay',
      ingress: peerB,
      callId: 'mr1@198.51.100.9',
    };
    expect(records.slice(1, 4)).toEqual([attempt, attempt, attempt]);
  });

  it('keeps an unanswered call (answer time NA)', () => {
    expect(records[4]).toEqual({
      at: utc('2025-12-31T18:02:00-06:00'),
      calling: '+13125550119',
      called: '+12025550145',
      source: 'cdr:sansay',
      ingress: peerB,
      callId: 'na1@198.51.100.9',
    });
  });

  it('takes an anonymous caller from RPID/ANI (field 59)', () => {
    expect(records[5]).toEqual({
      at: utc('2025-12-31T18:03:00-06:00'),
      calling: '+13125550188',
      called: '+12025550146',
      source: 'cdr:sansay',
      ingress: peerB,
      anonymous: true,
      callId: 'an1@198.51.100.9',
    });
  });

  it('keys on the orig destination number, not the LRN in Routing Digits', () => {
    expect(records[6]).toMatchObject({ called: '+12025550147', callId: 'lrn1@198.51.100.9' });
  });

  it('resolves the repeated DST hour exactly from minutes west (300 = CDT, 360 = CST)', () => {
    expect(records[7]).toEqual({
      at: utc('2025-11-02T01:30:00-05:00'),
      calling: '+13125550121',
      called: '+12025550148',
      source: 'cdr:sansay',
      ingress: { ip: '203.0.113.40', trunkGroup: '000311' },
      callId: 'dst1@203.0.113.40',
    });
    expect(records[8]).toMatchObject({ at: utc('2025-11-02T01:30:00-06:00'), callId: 'dst2@203.0.113.40' });
    expect(records[8]).not.toHaveProperty('atAlt');
  });

  it('skips audit records and reads a 20-field record (no RPID column)', () => {
    expect(records).toHaveLength(10);
    expect(records[9]).toMatchObject({ callId: 'a84b4c76e66711@203.0.113.40', calling: '+13125550117' });
  });

  it('reports malformed lines with the bad field', () => {
    expect(errors).toEqual([
      '11: field 7 (start TOD): "Someday 18:06:00" is not a ctime date',
      '12: field 10 (minutes west of GMT): "six hours" is not a whole number of minutes',
      '14: record has 5 fields, expected at least 20',
    ]);
  });
});

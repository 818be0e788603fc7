import { describe, expect, it } from 'vitest';
import { ribbon } from '../../../agent/cdr/ribbon.js';
import { parseOne, readLines, utc, type Setting } from './fixture.js';

const FILE = 'ribbon/sbc01-20251231.ACT';
/** Field 5 says CST: the node runs Chicago time. The source's own zone is New York, used only when 5 is unmapped. */
const setting: Setting = { zone: 'America/New_York', options: { nodeZones: { CST: 'America/Chicago' } } };
const carrierA = { ip: '203.0.113.40', trunkGroup: 'TG_CARRIER_A' };

describe('ribbon format (.ACT)', () => {
  const { records, errors } = readLines(ribbon, FILE, setting);

  it('keeps STOP and ATTEMPT records, skips START, INTERMEDIATE and system records', () => {
    expect(records).toHaveLength(8);
    expect(records.every((r) => r.source === 'cdr:ribbon')).toBe(true);
  });

  it('reads a STOP: incoming calling number (70) with its nature of address, dialled number (60), tenths, node zone, trunk group 34, peer 126, GCID', () => {
    expect(records[0]).toEqual({
      at: utc('2025-12-31T18:00:00.400-06:00'),
      calling: '+13125550117',
      called: '+12025550143',
      source: 'cdr:ribbon',
      ingress: carrierA,
      callId: '1000001',
    });
  });

  it('reads an unanswered ATTEMPT from its own positions: calling 17, called 18, trunk group 31, peer 116', () => {
    expect(records[1]).toEqual({
      at: utc('2025-12-31T18:02:10.700-06:00'),
      calling: '+13125550118',
      called: '+12025550144',
      source: 'cdr:ribbon',
      ingress: { ip: '198.51.100.9', trunkGroup: 'TG_CARRIER_B' },
    });
  });

  it('keeps both instants of a time in the repeated DST hour', () => {
    expect(records[2]).toMatchObject({
      at: utc('2025-11-02T01:30:00-05:00'),
      atAlt: utc('2025-11-02T01:30:00-06:00'),
      calling: '+13125550119',
      called: '+12025550145',
      callId: '1000003',
    });
  });

  it('marks an anonymous caller and a presentation-restricted one (number kept)', () => {
    expect(records[3]).toEqual({
      at: utc('2025-12-31T18:05:00-06:00'),
      calling: '',
      called: '+12025550146',
      source: 'cdr:ribbon',
      ingress: carrierA,
      anonymous: true,
      callId: '1000004',
    });
    expect(records[4]).toEqual({
      at: utc('2025-12-31T18:06:00-06:00'),
      calling: '+13125550120',
      called: '+12025550147',
      source: 'cdr:ribbon',
      ingress: { ip: '2001:db8::40', port: 5060, trunkGroup: 'TG_CARRIER_C' },
      anonymous: true,
      callId: '1000005',
    });
  });

  it('keys an LRN-dipped call on the dialled number (60), not the routing number in 21/24', () => {
    expect(records[5]).toMatchObject({ called: '+12025550148', calling: '+13125550121', callId: '1000006' });
  });

  it('falls back to the translated numbers (20, 21) when 70 and 60 are empty', () => {
    expect(records[6]).toEqual({
      at: utc('2025-12-31T18:11:00-06:00'),
      calling: '+13125550123',
      called: '+12025550150',
      source: 'cdr:ribbon',
      ingress: { ip: '203.0.113.41', port: 5060, trunkGroup: 'TG_CARRIER_A' },
      callId: '1000008',
    });
  });

  it("uses the source's zone when field 5 names neither a mapped zone nor an IANA zone", () => {
    expect(records[7]).toMatchObject({ at: utc('2025-12-31T19:12:00-05:00'), called: '+12025550151' });
  });

  it('reports malformed lines with their line number and the bad field', () => {
    expect(errors).toEqual([
      '9: field 6 (start date): "99/99/2025" is not mm/dd/yyyy',
      '10: STOP record has 9 fields, expected at least 126',
      '14: field 1 (record type): "GARBAGE" is not a Ribbon record type',
    ]);
  });

  it('reads field 5 as an IANA zone when it is one', () => {
    const line = ['STOP', ...Array<string>(125).fill('')];
    line[4] = 'America/Denver';
    line[5] = '07/04/2025';
    line[6] = '09:15:30.9';
    line[59] = '2025550143';
    line[69] = '3125550117';
    expect(parseOne(ribbon, line.join(','), { zone: 'UTC', options: {} })).toEqual([
      { at: utc('2025-07-04T09:15:30.900-06:00'), calling: '+13125550117', called: '+12025550143', source: 'cdr:ribbon', ingress: {} },
    ]);
  });

  it('follows overridden positions for another release', () => {
    const line = ['STOP', '', '', '', 'UTC', '01/02/2026', '03:04:05.6', '2025550143', '3125550117', 'TG_X', '192.0.2.77', '77'].join(',');
    const stop = { called: 8, calling: 9, trunkGroup: 10, peerIp: 11, callId: 12 };
    const unused = { callingTranslated: 2, calledTranslated: 2, presentation: 3, callingNoa: 4 };
    expect(parseOne(ribbon, line, { zone: 'UTC', options: { stop: { ...stop, ...unused } } })).toEqual([
      {
        at: utc('2026-01-02T03:04:05.600Z'),
        calling: '+13125550117',
        called: '+12025550143',
        source: 'cdr:ribbon',
        ingress: { ip: '192.0.2.77', trunkGroup: 'TG_X' },
        callId: '77',
      },
    ]);
  });

  it('names the option that is wrong, on the line it was meant for', () => {
    expect(parseOne(ribbon, 'STOP,a', { zone: 'UTC', options: { stop: { calling: 0 } } })).toMatch(/^options\.stop\.calling: /);
    expect(parseOne(ribbon, 'STOP,a', { zone: 'UTC', options: { stops: {} } })).toMatch(/^options: /);
  });
});

import { describe, expect, it } from 'vitest';
import { acme } from '../../../agent/cdr/acme.js';
import { parseOne, readLines, utc, type Setting } from './fixture.js';

const FILE = 'acme/cdr20251231.csv';
const setting: Setting = {
  zone: 'America/Chicago',
  options: { zones: { CST: '-06:00', cdt: '-05:00', CT: 'America/Chicago' } },
};
const carrierA = { ip: '203.0.113.7', trunkGroup: 'TG_A', realm: 'peer-carrier-a' };

describe('acme format (Oracle SBC local CDR CSV)', () => {
  const { records, errors } = readLines(acme, FILE, setting);

  it('keeps Stop rows only (a Start and an Interim of the same call are skipped)', () => {
    expect(records.map((r) => r.callId)).toEqual([
      'c1@203.0.113.7', 'c2@203.0.113.7', 'c3@198.51.100.20', 'c4@203.0.113.7', 'c5@203.0.113.7',
      'c6@203.0.113.7', 'c7@203.0.113.7', 'c8@203.0.113.7', 'c9@203.0.113.7', 'c10@203.0.113.7',
    ]);
  });

  it('reads a whole From header as the calling number, the realm 23, trunk group 122 and signalling peer 128', () => {
    expect(records[0]).toEqual({
      at: utc('2025-12-31T18:00:00.123-06:00'),
      calling: '+13125550117',
      called: '+12025550143',
      source: 'cdr:acme',
      ingress: carrierA,
      callId: 'c1@203.0.113.7',
    });
  });

  it('keeps an unanswered call whose connect time is empty', () => {
    expect(records[1]).toEqual({
      at: utc('2025-12-31T18:01:00-06:00'),
      calling: '+13125550118',
      called: '+12025550144',
      source: 'cdr:acme',
      ingress: carrierA,
      callId: 'c2@203.0.113.7',
    });
  });

  it('takes the caller from P-Asserted-Identity (126) when From is anonymous', () => {
    expect(records[2]).toEqual({
      at: utc('2025-12-31T18:02:00-06:00'),
      calling: '+13125550188',
      called: '+12025550145',
      source: 'cdr:acme',
      ingress: { ip: '198.51.100.20', trunkGroup: 'TG_B', realm: 'peer-carrier-b' },
      anonymous: true,
      callId: 'c3@198.51.100.20',
    });
  });

  it('keys an LRN-dipped Request-URI on the dialled number, not rn=', () => {
    expect(records[3]).toMatchObject({ called: '+12025550146', calling: '+13125550119' });
  });

  it('re-reads a line with unescaped quotes inside a quoted field leniently', () => {
    expect(records[4]).toMatchObject({ at: utc('2025-12-31T18:04:00-06:00'), calling: '+13125550120', called: '+12025550147' });
  });

  it('marks * and . (unsynchronised NTP) setup times as untrusted clocks', () => {
    expect(records[5]).toMatchObject({ at: utc('2026-01-01T00:05:00Z'), clockUntrusted: true, called: '+12025550148' });
    expect(records[6]).toMatchObject({ at: utc('2026-01-01T00:06:00Z'), clockUntrusted: true, called: '+12025550149' });
  });

  it('reads a 269-field row by skipping the block inserted after field 115', () => {
    expect(records[7]).toEqual({
      at: utc('2025-12-31T18:08:00-06:00'),
      calling: '+13125550123',
      called: '+12025550150',
      source: 'cdr:acme',
      ingress: { ip: '203.0.113.8', trunkGroup: 'TG_C', realm: 'peer-carrier-c' },
      callId: 'c8@203.0.113.7',
    });
  });

  it('keeps both instants when the abbreviation maps to an IANA zone, one when it fixes the offset', () => {
    expect(records[8]).toMatchObject({ at: utc('2025-11-02T01:30:00-05:00'), atAlt: utc('2025-11-02T01:30:00-06:00') });
    expect(records[9]).toMatchObject({ at: utc('2025-11-02T01:30:00-05:00') });
    expect(records[9]).not.toHaveProperty('atAlt');
  });

  it('fails loudly on an unconfigured zone abbreviation, a short row and a non-numeric status type', () => {
    expect(errors).toEqual([
      '13: field 14 (h323-setup-time): time zone abbreviation "XST" is not configured (options.zones)',
      '14: Stop record has 14 fields, expected at least 128',
      '15: field 1 (Acct-Status-Type): "Acct-Status-Type" is not a RADIUS Acct-Status-Type',
    ]);
  });

  it('refuses a zone option that is neither an offset nor an IANA zone', () => {
    expect(parseOne(acme, '2,a', { zone: 'UTC', options: { zones: { PST: 'Pacific' } } })).toBe(
      'options.zones.PST: must be ±hh:mm or an IANA zone name',
    );
  });

  it('follows overridden positions and can turn the 269-field rule off', () => {
    const row = ['2', 'c9@192.0.2.9', '<sip:3125550130@192.0.2.9>', '2025550160', '18:00:00.000 UTC DEC 31 2025', 'realm-x', 'TG_X', '', '192.0.2.9'];
    const positions = { callId: 2, calling: 3, called: 4, setupTime: 5, realm: 6, trunkGroup: 7, pai: 8, peerIp: 9 };
    expect(parseOne(acme, row.join(','), { zone: 'UTC', options: { positions, insertedBlock: null } })).toEqual([
      {
        at: utc('2025-12-31T18:00:00Z'),
        calling: '+13125550130',
        called: '+12025550160',
        source: 'cdr:acme',
        ingress: { ip: '192.0.2.9', trunkGroup: 'TG_X', realm: 'realm-x' },
        callId: 'c9@192.0.2.9',
      },
    ]);
  });
});

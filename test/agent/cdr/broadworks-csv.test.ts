import { describe, expect, it } from 'vitest';
import { broadworksCsv } from '../../../agent/cdr/broadworks-csv.js';
import { readLines, utc, type Setting } from './fixture.js';

const FILE = 'broadworks-csv/BW-CDR-20260101000000-2-SP1.csv';
const setting: Setting = { zone: 'America/Chicago', options: {} };

describe('broadworks-csv format (R22)', () => {
  const { records, errors } = readLines(broadworksCsv, FILE, setting);

  it('skips the header row and non-Normal records (Start, Long Duration, End), CRLF line ends', () => {
    expect(records.map((r) => r.callId)).toEqual(['BW2001@203.0.113.50', 'BW2002@192.0.2.10', 'BW2003@gw01.example.net']);
  });

  it('reads a terminating call from the network: startTime as GMT, route as the peer address', () => {
    expect(records[0]).toEqual({
      at: utc('2025-12-31T23:59:59.123Z'),
      calling: '+13125550117',
      called: '+12025550143',
      source: 'cdr:broadworks-csv',
      ingress: { ip: '203.0.113.50', port: 5060 },
      callId: 'BW2001@203.0.113.50',
    });
  });

  it("reads an originating call as the carrier's own line, with the access device, and a Private caller as anonymous", () => {
    expect(records[1]).toEqual({
      at: utc('2025-12-31T23:50:00.500Z'),
      calling: '+12025550144',
      called: '+13125550118',
      source: 'cdr:broadworks-csv',
      ingress: { ip: '192.0.2.61', realm: 'line' },
      anonymous: true,
      callId: 'BW2002@192.0.2.10',
    });
  });

  it('keeps an unanswered call and uses a route name that is not an address as the trunk group', () => {
    expect(records[2]).toEqual({
      at: utc('2025-12-31T23:55:00Z'),
      calling: '+13125550119',
      called: '+12025550145',
      source: 'cdr:broadworks-csv',
      ingress: { trunkGroup: 'gw01.example.net' },
      callId: 'BW2003@gw01.example.net',
    });
  });

  it('reports a bad startTime with its line and field', () => {
    expect(errors).toEqual(['6: field 10 (startTime): "2025-12-31 23:59" is not yyyymmddhhmmss.mmm']);
  });

  it('shifts by userTimeZone when startTime is configured as local time', () => {
    const local = readLines(broadworksCsv, FILE, { zone: 'UTC', options: { startTimeIs: 'local' } });
    expect(local.records[0]?.at).toBe(utc('2025-12-31T23:59:59.123-06:00'));
  });
});

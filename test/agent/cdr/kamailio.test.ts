import { describe, expect, it } from 'vitest';
import { kamailio } from '../../../agent/cdr/kamailio.js';
import { parseOne, readLines, utc, type Setting } from './fixture.js';

const flatstore: Setting = { zone: 'America/Chicago', options: { form: 'flatstore' } };

describe('kamailio format (acc)', () => {
  it('reads syslog ACC lines: INVITEs answered and missed, skipping BYE and other syslog lines', () => {
    const { records, errors } = readLines(kamailio, 'kamailio/kamailio.log', { zone: 'America/Chicago', options: {} });
    expect(records).toEqual([
      {
        at: utc('2026-01-01T00:00:04Z'),
        calling: '+13125550117',
        called: '+12025550143',
        source: 'cdr:kamailio',
        ingress: { ip: '203.0.113.40' },
        callId: 'dd0c4c617a9919d29a6175cdff223a9e@203.0.113.40',
      },
      {
        // Missed call from an anonymous caller; dst_ouser (as dialled) beats the rewritten R-URI user.
        at: utc('2026-01-01T00:02:30Z'),
        calling: '',
        called: '+12025550144',
        source: 'cdr:kamailio',
        ingress: { ip: '198.51.100.9' },
        anonymous: true,
        callId: '0bfdd176d1b93e7df3de5c6f4873ee04@198.51.100.9',
      },
    ]);
    expect(errors).toEqual([
      '5: timestamp: "yesterday" is not epoch seconds or YYYY-MM-DD HH:MM:SS',
      '6: method: "" is not a SIP method',
    ]);
  });

  it('reads db_flatstore acc files with the default column list', () => {
    expect(readLines(kamailio, 'kamailio/acc_1.log', flatstore)).toEqual({
      records: [
        {
          at: utc('2026-01-01T00:00:04Z'),
          calling: '+13125550117',
          called: '+12025550143',
          source: 'cdr:kamailio',
          ingress: { ip: '203.0.113.40' },
          callId: 'dd0c4c617a9919d29a6175cdff223a9e@203.0.113.40',
        },
      ],
      errors: [],
    });
  });

  it('reads missed_calls with epoch and DATETIME times (local, both DST candidates) and reports a non-row', () => {
    const { records, errors } = readLines(kamailio, 'kamailio/missed_calls_1.log', flatstore);
    expect(records).toEqual([
      {
        at: utc('2026-01-01T00:01:40Z'),
        calling: '+13125550118',
        called: '+12025550145',
        source: 'cdr:kamailio',
        ingress: { ip: '198.51.100.9' },
        callId: '81880da80a94bda81b425b09009e055c@198.51.100.9',
      },
      {
        at: utc('2025-11-02T01:30:00-05:00'),
        atAlt: utc('2025-11-02T01:30:00-06:00'),
        calling: '+13125550119',
        called: '+12025550146',
        source: 'cdr:kamailio',
        ingress: { ip: '198.51.100.9' },
        callId: '8deaadf2ae9a17809a391f05af31afb0@198.51.100.9',
      },
    ]);
    expect(errors).toEqual(['3: record has 1 fields, the column list has 13']);
  });

  it('follows time_mode: 1 adds the microseconds extra, 2 is sec.ms, 4 reads DATETIME as UTC', () => {
    const line = (time: string, extra = ''): string =>
      `x ACC: transaction answered: timestamp=${time};method=INVITE;call_id=c1;src_user=3125550117;dst_user=2025550143${extra}`;
    const at = (options: Record<string, unknown>, l: string): unknown => {
      const r = parseOne(kamailio, l, { zone: 'America/Chicago', options });
      return typeof r === 'string' ? r : r[0]?.at;
    };
    expect(at({ timeMode: 1 }, line('1767225600', ';microsecs=250000'))).toBe(utc('2026-01-01T00:00:00.250Z'));
    expect(at({ timeMode: 2 }, line('1767225600.125'))).toBe(utc('2026-01-01T00:00:00.125Z'));
    expect(at({ timeMode: 4 }, line('2026-01-01 00:00:00'))).toBe(utc('2026-01-01T00:00:00Z'));
    expect(at({ timeMode: 3 }, line('2025-12-31 18:00:00'))).toBe(utc('2025-12-31T18:00:00-06:00'));
  });

  it('reads a configured trunk extra and other extra names', () => {
    const options = { form: 'flatstore', columns: ['method', 'callid', 'time', 'caller', 'callee', 'peer', 'trunk'], calling: 'caller', called: ['callee'], ip: 'peer', trunkGroup: 'trunk' };
    expect(parseOne(kamailio, 'INVITE|c9|1767225600|3125550117|2025550143|192.0.2.9|dispatcher-3', { zone: 'UTC', options })).toEqual([
      {
        at: utc('2026-01-01T00:00:00Z'),
        calling: '+13125550117',
        called: '+12025550143',
        source: 'cdr:kamailio',
        ingress: { ip: '192.0.2.9', trunkGroup: 'dispatcher-3' },
        callId: 'c9',
      },
    ]);
  });
});

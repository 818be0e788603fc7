import { describe, expect, it } from 'vitest';
import { freeswitchCsv } from '../../../agent/cdr/freeswitch-csv.js';
import { readLines, utc, type Setting } from './fixture.js';

const TRACEBACK_TEMPLATE =
  '"${direction}","${start_epoch}","${sip_network_ip}","${sofia_profile_name}","${sip_gateway_name}","${sip_call_id}",' +
  '"${caller_id_number}","${sip_h_P-Asserted-Identity}","${destination_number}","${uuid}"';

describe('freeswitch-csv format (mod_cdr_csv)', () => {
  it('reads the vanilla example template: local start_stamp, uuid as id, no ingress', () => {
    const { records, errors } = readLines(freeswitchCsv, 'freeswitch-csv/Master.csv', { zone: 'America/Chicago', options: {} });
    expect(records).toEqual([
      {
        at: utc('2025-12-31T18:00:00-06:00'),
        calling: '+13125550117',
        called: '+12025550143',
        source: 'cdr:freeswitch-csv',
        ingress: {},
        callId: '0b8d1c3a-6f2e-4b1e-9d4a-000000000001',
      },
      {
        at: utc('2025-12-31T18:01:00-06:00'),
        calling: '+13125550118',
        called: '+12025550144',
        source: 'cdr:freeswitch-csv',
        ingress: {},
        callId: '0b8d1c3a-6f2e-4b1e-9d4a-000000000002',
      },
      {
        at: utc('2025-11-02T01:30:00-05:00'),
        atAlt: utc('2025-11-02T01:30:00-06:00'),
        calling: '+13125550119',
        called: '+12025550145',
        source: 'cdr:freeswitch-csv',
        ingress: {},
        callId: '0b8d1c3a-6f2e-4b1e-9d4a-000000000003',
      },
    ]);
    // A file that went through a spreadsheet (`2020/2/10 22:41`).
    expect(errors).toEqual(['4: field 5 (start_stamp): "2020/2/10 22:41" is not YYYY-MM-DD HH:MM:SS']);
  });

  it('reads a traceback template pasted from cdr_csv.conf.xml: UTC epoch, network IP, profile, gateway, inbound legs only, PAI', () => {
    const setting: Setting = { zone: 'America/Chicago', options: { template: TRACEBACK_TEMPLATE } };
    const { records, errors } = readLines(freeswitchCsv, 'freeswitch-csv/traceback.csv', setting);
    expect(records).toEqual([
      {
        at: utc('2026-01-01T00:00:00Z'),
        calling: '+13125550117',
        called: '+12025550143',
        source: 'cdr:freeswitch-csv',
        ingress: { ip: '203.0.113.40', trunkGroup: 'carrier-a', realm: 'external' },
        callId: 'a84b4c76e66710@203.0.113.40',
      },
      {
        at: utc('2026-01-01T00:01:00Z'),
        calling: '+13125550188',
        called: '+12025550144',
        source: 'cdr:freeswitch-csv',
        ingress: { ip: '198.51.100.9', realm: 'external' },
        anonymous: true,
        callId: 'c0ffee01@198.51.100.9',
      },
    ]);
    expect(errors).toEqual(['4: field 2 (start_epoch): "0" is not epoch seconds']);
  });

  it('says so when a row is shorter than the template', () => {
    const { errors } = readLines(freeswitchCsv, 'freeswitch-csv/traceback.csv', { zone: 'UTC', options: {} });
    expect(errors).toEqual([
      '1: record has 10 fields, the template has 15',
      '2: record has 10 fields, the template has 15',
      '3: record has 10 fields, the template has 15',
      '4: record has 10 fields, the template has 15',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { asteriskCustom } from '../../../agent/cdr/asterisk-custom.js';
import { parseOne, readLines, utc, type Setting } from './fixture.js';

describe('asterisk-custom format (cdr_custom)', () => {
  it('reads the shipped sample mapping by default (clid first, quoted integers)', () => {
    const { records, errors } = readLines(asteriskCustom, 'asterisk-custom/Master.csv', { zone: 'America/Chicago', options: {} });
    expect(records).toEqual([
      {
        at: utc('2025-12-31T18:00:00-06:00'),
        calling: '+13125550117',
        called: '+12025550143',
        source: 'cdr:asterisk-custom',
        ingress: { trunkGroup: 'PJSIP/carrier-a' },
        callId: '1767225600.7',
      },
      {
        at: utc('2025-12-31T18:01:00-06:00'),
        calling: '+13125550118',
        called: '+12025550144',
        source: 'cdr:asterisk-custom',
        ingress: { trunkGroup: 'PJSIP/carrier-a' },
        callId: '1767225660.8',
      },
    ]);
    expect(errors).toEqual(['3: field 9 (start): "31/12/2025 18:02" is not YYYY-MM-DD HH:MM:SS or epoch seconds']);
  });

  it('takes the column order from a pasted cdr_custom.conf mapping, with ${CDR(start,u)} epochs', () => {
    const setting: Setting = {
      zone: 'America/Chicago',
      options: {
        mapping:
          '${CSV_QUOTE(${CDR(src)})},${CSV_QUOTE(${CDR(dst)})},${CDR(start,u)},${CSV_QUOTE(${CDR(channel)})},${CSV_QUOTE(${CDR(userfield)})},${CSV_QUOTE(${CDR(linkedid)})}',
        userfieldIsPeerIp: true,
      },
    };
    const { records, errors } = readLines(asteriskCustom, 'asterisk-custom/epoch.csv', setting);
    expect(errors).toEqual([]);
    expect(records).toEqual([
      {
        at: utc('2026-01-01T00:01:00.250Z'),
        calling: '+13125550118',
        called: '+12025550144',
        source: 'cdr:asterisk-custom',
        ingress: { ip: '198.51.100.9', trunkGroup: 'PJSIP/carrier-b' },
        callId: '1767225660.20',
      },
      {
        at: utc('2026-01-01T00:02:00Z'),
        calling: '',
        called: '+12025550145',
        source: 'cdr:asterisk-custom',
        ingress: { ip: '198.51.100.9', trunkGroup: 'PJSIP/carrier-b' },
        anonymous: true,
        callId: '1767225720.21',
      },
    ]);
  });

  it('accepts a list of names and another separator, and says when a needed column is missing', () => {
    const options = { mapping: ['src', 'dst', 'start', 'channel'], separator: ';' };
    expect(parseOne(asteriskCustom, '3125550117;2025550143;2025-12-31 18:00:00;SIP/a-0000001c', { zone: 'UTC', options })).toEqual([
      { at: utc('2025-12-31T18:00:00Z'), calling: '+13125550117', called: '+12025550143', source: 'cdr:asterisk-custom', ingress: { trunkGroup: 'SIP/a' } },
    ]);
    expect(parseOne(asteriskCustom, 'a,b', { zone: 'UTC', options: { mapping: ['src', 'start'] } })).toBe('the column list has no "dst" column');
    expect(parseOne(asteriskCustom, 'a,b', { zone: 'UTC', options: { mapping: 'src,dst' } })).toBe(
      'options.mapping: must hold ${CDR(name)} variables, as in cdr_custom.conf',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { generic } from '../../../agent/cdr/generic.js';
import { parseOne, readLines, utc, type Setting } from './fixture.js';

const setting: Setting = {
  zone: 'America/Chicago',
  options: { skipLines: 1, timeFormat: 'iso8601', columns: { callId: 1, time: 2, calling: 3, called: 4, trunkGroup: 5, ip: 6 } },
};

describe('generic format (delimited export with a column map)', () => {
  it('reads the columns the options name, skipping the header', () => {
    const { records, errors } = readLines(generic, 'generic/export.csv', setting);
    expect(records).toEqual([
      {
        at: utc('2025-12-31T18:00:00.250-06:00'),
        calling: '+13125550117',
        called: '+12025550143',
        source: 'cdr:generic',
        ingress: { ip: '203.0.113.40', trunkGroup: 'TG_A' },
        callId: 'g1',
      },
      {
        at: utc('2026-01-01T00:01:00Z'),
        calling: '',
        called: '+12025550144',
        source: 'cdr:generic',
        ingress: { ip: '198.51.100.9', trunkGroup: 'TG_B' },
        anonymous: true,
        callId: 'g2',
      },
      {
        at: utc('2025-12-31T18:04:00-06:00'),
        calling: '+13125550121',
        called: '+12025550146',
        source: 'cdr:generic',
        ingress: { ip: '2001:db8::40', port: 5060, trunkGroup: 'TG_A, west' },
        callId: 'g5, quoted',
      },
    ]);
    expect(errors).toEqual([
      '4: field 2 (time): "31/12/2025" is not an ISO 8601 time with offset',
      '5: field 4 (called): "" is empty',
    ]);
  });

  it.each([
    ['local', '2025-11-02 01:30:00', { at: utc('2025-11-02T01:30:00-05:00'), atAlt: utc('2025-11-02T01:30:00-06:00') }],
    ['utc', '2025-11-02 01:30:00', { at: utc('2025-11-02T01:30:00Z') }],
    ['epoch-s', '1767225600', { at: utc('2026-01-01T00:00:00Z') }],
    ['epoch-ms', '1767225600123', { at: utc('2026-01-01T00:00:00.123Z') }],
    ['epoch-us', '1767225600123456', { at: utc('2026-01-01T00:00:00.123Z') }],
    ['cisco', '.18:00:00.000 CST DEC 31 2025', { at: utc('2025-12-31T18:00:00-06:00'), clockUntrusted: true }],
  ])('reads timeFormat %s', (timeFormat, time, expected) => {
    const options = { separator: ';', timeFormat, zones: { CST: '-06:00' }, columns: { time: 1, calling: 2, called: 3, pai: 4 } };
    expect(parseOne(generic, `${time};3125550117;2025550143;`, { zone: 'America/Chicago', options })).toEqual([
      { ...expected, calling: '+13125550117', called: '+12025550143', source: 'cdr:generic', ingress: {} },
    ]);
  });

  it('reports a line that is not CSV with the field where it breaks', () => {
    const options = { columns: { time: 1, calling: 2, called: 3 }, timeFormat: 'epoch-s' };
    expect(parseOne(generic, '1767225600,"3125550117,2025550143', { zone: 'UTC', options })).toBe(
      'field 2: unterminated quoted field starting at column 12',
    );
  });

  it('requires the three columns every record needs', () => {
    expect(parseOne(generic, 'a', { zone: 'UTC', options: { columns: { calling: 1, called: 2 } } })).toMatch(/^options\.columns\.time: /);
  });
});

import { describe, expect, it } from 'vitest';
import { metaswitch } from '../../../agent/cdr/metaswitch.js';
import { readDocument, utc, type Setting } from './fixture.js';

const FILE = 'metaswitch/cfs-billing-0000169.xml';
const setting: Setting = { zone: 'America/Chicago', options: {} };

describe('metaswitch format (CFS XML billing)', () => {
  const { records, errors } = readDocument(metaswitch, FILE, setting);

  it('reads a call from a network trunk: trunk name as trunk group, epoch-ms seize time, the SIP Call-ID', () => {
    expect(records[0]).toEqual({
      at: utc('2025-12-31T18:00:00.250-06:00'),
      calling: '+13125550117',
      called: '+12025550143',
      source: 'cdr:metaswitch',
      ingress: { trunkGroup: 'Carrier A SIP' },
      callId: 'a84b4c76e66710@203.0.113.40',
    });
  });

  it("reads an unanswered call from a business line as the carrier's own customer (realm line), correlator as id", () => {
    expect(records[1]).toEqual({
      at: utc('2026-01-01T00:01:00Z'),
      calling: '+12025550150',
      called: '+13125550118',
      source: 'cdr:metaswitch',
      ingress: { realm: 'line' },
      callId: '397828983392',
    });
  });

  it('uses the address type as nature of address and privacy="true" as a withheld caller', () => {
    expect(records[2]).toEqual({
      at: utc('2025-11-02T01:30:00-05:00'),
      calling: '+13125550119',
      called: '+12025550145',
      source: 'cdr:metaswitch',
      ingress: { trunkGroup: 'Carrier B SIP' },
      anonymous: true,
      callId: '397828983393',
    });
    expect(records).toHaveLength(3);
  });

  it('reports a bad seize time and a record cut short, each at the line of its <Call>', () => {
    expect(errors).toEqual(['73: IcSeizeTime: "yesterday" is not epoch milliseconds', '83: <Call> is not closed (file cut short?)']);
  });

  it('says why when a document has no <Call> because it is not XML at all', () => {
    const broken = metaswitch.parseDocument?.('<File>\n<CDRs>\n</File>', { ...setting, file: 'x.xml' });
    expect(broken?.errors.map((e) => `${e.file}:${e.line}: ${e.reason}`)).toEqual([
      "x.xml:3: not well-formed XML: Expected closing tag 'CDRs' (opened in line 2, col 1) instead of closing tag 'File'.",
    ]);
    expect(metaswitch.parseDocument?.('<File><CDRs/></File>', { ...setting, file: 'x.xml' })).toEqual({ records: [], errors: [], offsets: [] });
  });
});

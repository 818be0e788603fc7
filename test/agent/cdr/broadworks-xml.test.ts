import { describe, expect, it } from 'vitest';
import { broadworksXml } from '../../../agent/cdr/broadworks-xml.js';
import { readDocument, utc, type Setting } from './fixture.js';

const FILE = 'broadworks-xml/BW-CDR-20260101000000-2-SP1.xml';
const setting: Setting = { zone: 'America/Chicago', options: {} };

describe('broadworks-xml format', () => {
  const { records, errors } = readDocument(broadworksXml, FILE, setting);

  it('reads Normal cdrData records and skips Start and End', () => {
    expect(records).toEqual([
      {
        at: utc('2025-12-31T23:59:59.123Z'),
        calling: '+13125550117',
        called: '+12025550143',
        source: 'cdr:broadworks-xml',
        ingress: { ip: '203.0.113.50', port: 5060 },
        callId: 'BW2001@203.0.113.50',
      },
      {
        at: utc('2025-12-31T23:50:00.500Z'),
        calling: '+12025550144',
        called: '+13125550118',
        source: 'cdr:broadworks-xml',
        // A Business Trunking user: its trunk group names the customer, the line realm says it is one.
        ingress: { ip: '192.0.2.61', trunkGroup: 'GROUP1/PBX_TRUNK', realm: 'line' },
        anonymous: true,
        callId: 'BW2002@192.0.2.10',
      },
    ]);
  });

  it("reports a bad record and a broken one at their lines, and keeps the file's other records", () => {
    expect(errors).toEqual([
      '88: basicModule/startTime: "not-a-time" is not yyyymmddhhmmss.mmm',
      "116: not well-formed XML: Expected closing tag 'ipModule' (opened in line 115, col 5) instead of closing tag 'cdrData'.",
    ]);
  });

  it('reads one cdrData element on its own (xml-record framing)', () => {
    const one = `<cdrData><headerModule><type>Normal</type></headerModule><basicModule><direction>Terminating</direction>
      <callingNumber>3125550117</callingNumber><calledNumber>2025550143</calledNumber><startTime>20260101000000.000</startTime>
      </basicModule><ipModule><route>198.51.100.1</route><networkCallID>x@198.51.100.1</networkCallID></ipModule></cdrData>`;
    expect(broadworksXml.recordElement).toBe('cdrData');
    expect(broadworksXml.parseDocument?.(one, { ...setting, file: 'inline' })).toEqual({
      records: [
        {
          at: utc('2026-01-01T00:00:00Z'),
          calling: '+13125550117',
          called: '+12025550143',
          source: 'cdr:broadworks-xml',
          ingress: { ip: '198.51.100.1' },
          callId: 'x@198.51.100.1',
        },
      ],
      errors: [],
      offsets: [0],
    });
  });
});

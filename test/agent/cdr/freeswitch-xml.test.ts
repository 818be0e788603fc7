import { describe, expect, it } from 'vitest';
import { freeswitchXml } from '../../../agent/cdr/freeswitch-xml.js';
import { readDocument, utc, type Setting } from './fixture.js';

const setting: Setting = { zone: 'America/Chicago', options: {} };

describe('freeswitch-xml format (mod_xml_cdr)', () => {
  it('reads an inbound leg: URL-decoded variables, µs start, numbers from the first callflow as received', () => {
    expect(readDocument(freeswitchXml, 'freeswitch-xml/a-leg-inbound.cdr.xml', setting)).toEqual({
      records: [
        {
          at: utc('2026-01-01T00:00:00.740Z'),
          calling: '+13125550117',
          called: '+12025550143',
          source: 'cdr:freeswitch-xml',
          ingress: { ip: '203.0.113.40', trunkGroup: 'carrier-a', realm: 'external' },
          callId: '1419333081418-7f3e7852b1b0@203.0.113.40',
        },
      ],
      errors: [],
    });
  });

  it('skips an outbound leg', () => {
    expect(readDocument(freeswitchXml, 'freeswitch-xml/b-leg-outbound.cdr.xml', setting)).toEqual({ records: [], errors: [] });
  });

  it('takes an anonymous caller from P-Asserted-Identity, and a local start_stamp in the repeated DST hour', () => {
    expect(readDocument(freeswitchXml, 'freeswitch-xml/anonymous-pai.cdr.xml', setting).records).toEqual([
      {
        at: utc('2025-11-02T01:30:00-05:00'),
        atAlt: utc('2025-11-02T01:30:00-06:00'),
        calling: '+13125550188',
        called: '+12025550144',
        source: 'cdr:freeswitch-xml',
        ingress: { ip: '198.51.100.9', realm: 'external' },
        anonymous: true,
        callId: 'de6593d9-fce7-1232-1383-bc5ff41e033a',
      },
    ]);
  });

  it('reports a document that is not well-formed at the line where it breaks', () => {
    expect(readDocument(freeswitchXml, 'freeswitch-xml/invalid.cdr.xml', setting)).toEqual({
      records: [],
      errors: ["11: not well-formed XML: Expected closing tag 'caller_id_number' (opened in line 9, col 7) instead of closing tag 'caller_profile'."],
    });
  });

  it('survives malformed percent escapes and latin1 bytes in values', () => {
    const doc = `<cdr><variables><direction>inbound</direction><start_epoch>1767225600</start_epoch>
      <sip_gateway_name>gw%ZZ%41%C3%BC\u00e9</sip_gateway_name></variables>
      <callflow profile_index="1"><caller_profile><caller_id_number>3125550117</caller_id_number>
      <destination_number>2025550143</destination_number></caller_profile></callflow></cdr>`;
    expect(freeswitchXml.parseDocument?.(doc, { ...setting, file: 'inline' }).records[0]?.ingress).toEqual({ trunkGroup: 'gw%ZZAü\u00e9' });
  });
});

import { describe, expect, it } from 'vitest';
import { asterisk, channelPeer } from '../../../agent/cdr/asterisk.js';
import { parseOne, readLines, utc, type Setting } from './fixture.js';

const FILE = 'asterisk/Master.csv';
/** cdr.conf [csv]: loguniqueid, loguserfield, newcdrcolumns → 21 columns; the dialplan puts the peer in userfield. */
const setting: Setting = {
  zone: 'America/Chicago',
  options: { loguniqueid: true, loguserfield: true, newcdrcolumns: true, userfieldIsPeerIp: true },
};
const carrierA = { trunkGroup: 'PJSIP/carrier-a' };

describe('asterisk format (cdr_csv Master.csv)', () => {
  const { records, errors } = readLines(asterisk, FILE, setting);

  it('reads an unanswered call (empty unquoted answer time): src, dst, local start, channel without suffix, linkedid', () => {
    expect(records[0]).toEqual({
      at: utc('2025-12-31T18:00:00-06:00'),
      calling: '+13125550117',
      called: '+12025550143',
      source: 'cdr:asterisk',
      ingress: carrierA,
      callId: '1767225600.7',
    });
  });

  it('reads the peer address from userfield when configured', () => {
    expect(records[1]).toEqual({
      at: utc('2025-12-31T18:01:00-06:00'),
      calling: '+13125550118',
      called: '+12025550144',
      source: 'cdr:asterisk',
      ingress: { ip: '203.0.113.40', port: 5060, ...carrierA },
      callId: '1767225660.8',
    });
  });

  it('keeps both rows of a forked call, joined by linkedid', () => {
    const fork = {
      at: utc('2025-12-31T18:02:00-06:00'),
      calling: '+13125550119',
      called: '+12025550145',
      source: 'cdr:asterisk',
      ingress: { ip: '198.51.100.9', trunkGroup: 'SIP/peer-b' },
      callId: '1767225720.10',
    };
    expect(records.slice(2, 4)).toEqual([fork, fork]);
  });

  it('reads rows whose clid holds non-UTF-8 bytes, and re-reads UTF-8 text in the channel', () => {
    expect(records[4]).toMatchObject({ calling: '+13125550121', called: '+12025550147' });
    expect(records[5]).toMatchObject({ calling: '+13125550122', ingress: { trunkGroup: 'PJSIP/carrier-ü' } });
  });

  it('reads an empty src as a withheld caller', () => {
    expect(records[6]).toEqual({
      at: utc('2025-12-31T18:06:00-06:00'),
      calling: '',
      called: '+12025550149',
      source: 'cdr:asterisk',
      ingress: carrierA,
      anonymous: true,
      callId: '1767225960.13',
    });
  });

  it('keeps both instants of a start time in the repeated DST hour', () => {
    expect(records[7]).toMatchObject({ at: utc('2025-11-02T01:30:00-05:00'), atAlt: utc('2025-11-02T01:30:00-06:00') });
  });

  it('strips the Local channel suffix and ;1 half', () => {
    expect(records[8]).toMatchObject({ ingress: { trunkGroup: 'Local/2025550152@from-internal' }, calling: '+12025550160' });
    expect(records).toHaveLength(9);
  });

  it('reports a bad start time and a row shorter than the configured columns', () => {
    expect(errors).toEqual([
      '9: field 10 (start): "2025-13-45 25:00:00" is not YYYY-MM-DD HH:MM:SS or epoch seconds',
      '11: record has 16 fields, expected 21 (check loguniqueid, loguserfield, newcdrcolumns)',
    ]);
  });

  it('reads the 16-column default layout, and UTC times with usegmtime', () => {
    const row = '"","3125550117","2025550143","ctx","","SIP/peer-a-0000001c","","Dial","","2025-12-31 18:00:00",,"2025-12-31 18:00:30",30,0,"NO ANSWER","DOCUMENTATION"';
    expect(parseOne(asterisk, row, { zone: 'America/Chicago', options: { usegmtime: true } })).toEqual([
      { at: utc('2025-12-31T18:00:00Z'), calling: '+13125550117', called: '+12025550143', source: 'cdr:asterisk', ingress: { trunkGroup: 'SIP/peer-a' } },
    ]);
  });
});

describe('channelPeer', () => {
  it.each([
    ['PJSIP/carrier-a-00000007', 'PJSIP/carrier-a'],
    ['SIP/peer-0000001c', 'SIP/peer'],
    ['DAHDI/1-1', 'DAHDI/1'],
    ['Local/200@from-internal-0000001c;2', 'Local/200@from-internal'],
    ['PJSIP/carrier-a', 'PJSIP/carrier-a'],
    ['IAX2/trunk', 'IAX2/trunk'],
  ])('%s → %s', (channel, peer) => {
    expect(channelPeer(channel)).toBe(peer);
  });
});

import { describe, expect, it } from 'vitest';
import { CampaignFileError, parseCampaignFile } from '../../hub/campaign-file.js';

describe('campaign CSV file', () => {
  it('reads calls from columns in any order, quoted fields, blank lines and an optional window', () => {
    const text = 'From,AT,called,calling,window\r\nterm-a,2026-11-28T12:00:00Z,+12025550143,+13125550117,300\r\n\nterm-b,2026-11-28T12:05:00Z,+12025550144,"Anonymous",\n';
    expect(parseCampaignFile(text, 'calls.csv', 'irs')).toEqual([
      { call: { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T12:00:00Z' }, firstProvider: 'term-a', campaign: 'irs', windowSec: 300 },
      { call: { calling: 'Anonymous', called: '+12025550144', at: '2026-11-28T12:05:00Z' }, firstProvider: 'term-b', campaign: 'irs' },
    ]);
  });

  it.each([
    ['a header without a required column', 'calling,called,at\n+1,+12025550143,2026-11-28T12:00:00Z\n', 'calls.csv:1: the header lacks column(s) from'],
    ['a bad called number', 'calling,called,at,from\n+13125550117,+12025550143,2026-11-28T12:00:00Z,term-a\n+13125550117,2025550143,2026-11-28T12:00:00Z,term-a\n', 'calls.csv:3: called: must be E.164'],
    ['a bad provider id', 'calling,called,at,from\n+13125550117,+12025550143,2026-11-28T12:00:00Z,Term A\n', 'calls.csv:2: from: lower-case letters'],
    ['a bad time', 'calling,called,at,from\n+13125550117,+12025550143,yesterday,term-a\n', 'calls.csv:2: at: '],
    ['an unterminated quote', 'calling,called,at,from\n"+1312,+12025550143,2026-11-28T12:00:00Z,term-a\n', 'calls.csv:2: field 1: unterminated quoted field'],
    ['a header alone', 'calling,called,at,from\n', 'calls.csv:1: no calls after the header'],
  ])('refuses %s, naming the line and column', (_what, text, message) => {
    expect(() => parseCampaignFile(text, 'calls.csv', 'irs')).toThrow(CampaignFileError);
    expect(() => parseCampaignFile(text, 'calls.csv', 'irs')).toThrow(message);
  });
});

import { describe, expect, it } from 'vitest';
import { campaignGraph, CampaignInput } from '../../hub/campaign.js';
import { MessageError, parse } from '../../proto/messages.js';
import { tracedCase } from './traced-case.js';

const at = '2026-11-28T12:00:00Z';

describe('campaign graph', () => {
  it('folds every path into upstream → downstream edges with call counts and the outcomes of the tracebacks that used them', () => {
    const g = campaignGraph('spoofed-irs', [
      tracedCase({ id: '1', chain: ['term-a', 'transit', 'gw'], status: 'originated', createdAt: at }),
      tracedCase({ id: '2', chain: ['term-b', 'transit', 'gw'], status: 'originated', createdAt: at }),
      tracedCase({ id: '3', chain: ['term-a', 'transit', 'silent'], status: 'non_responsive', createdAt: at }),
      tracedCase({ id: '4', chain: ['term-a'], status: 'open', createdAt: at }),
    ]);
    expect(g.tracebacks).toBe(4);
    expect(g.outcomes).toEqual({ originated: 2, non_responsive: 1, open: 1 });
    expect(g.edges).toEqual([
      { from: 'gw', to: 'transit', calls: 2, outcomes: { originated: 2 } },
      { from: 'transit', to: 'term-a', calls: 2, outcomes: { originated: 1, non_responsive: 1 } },
      { from: 'silent', to: 'transit', calls: 1, outcomes: { non_responsive: 1 } },
      { from: 'transit', to: 'term-b', calls: 1, outcomes: { originated: 1 } },
    ]);
    expect(g.providers.find((p) => p.id === 'gw')).toEqual({ id: 'gw', calls: 2, ended: { originated: 2 } });
    expect(g.providers.find((p) => p.id === 'silent')?.ended).toEqual({ non_responsive: 1 });
    expect(g.providers.find((p) => p.id === 'term-a')).toEqual({ id: 'term-a', calls: 3, ended: {} });
  });

  it('is empty for a campaign without tracebacks', () => {
    expect(campaignGraph('none', [])).toEqual({ campaign: 'none', tracebacks: 0, outcomes: {}, providers: [], edges: [] });
  });

  it('validates every call of a campaign body and names the bad one', () => {
    const call = { call: { calling: '+13125550117', called: '+12025550143', at }, firstProvider: 'term-a' };
    expect(parse(CampaignInput, { tracebacks: [call, call] }).tracebacks).toHaveLength(2);
    const bad = () => parse(CampaignInput, { tracebacks: [call, { ...call, call: { ...call.call, called: '2025550143' } }] });
    expect(bad).toThrow(MessageError);
    expect(bad).toThrow('tracebacks[1].call.called: must be E.164');
    expect(() => parse(CampaignInput, { tracebacks: [] })).toThrow(/^tracebacks: /);
  });
});

/** Campaigns and reports over HTTP: many tracebacks started at once, folded into one graph, counted in reports. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignGraph } from '../../../hub/campaign.js';
import type { NonResponsiveRow } from '../../../hub/reports.js';
import { generateKeyPair } from '../../../proto/keys.js';
import { provider, type ScriptedAgent, startScriptedAgent, startTestHub, type TestHub } from '../harness.js';

let t: TestHub;
const agents: ScriptedAgent[] = [];
const call = (n: number, first: string) => ({ call: { calling: '+13125550117', called: `+1202555${String(1000 + n)}`, at: '2026-11-28T11:59:30.000Z' }, firstProvider: first });

beforeAll(async () => {
  t = await startTestHub({ engine: { agentDeadlineMs: 3000, agentRetries: 0 } });
  // Two terminating carriers both got the campaign's calls through one transit, from one originator;
  // calls to numbers ending in 5 came through a transit that never answers.
  const net = {
    'term-a': (q: { call: { called: string } }) => ({ result: 'upstream' as const, upstream: q.call.called.endsWith('5') ? 'mute' : 'transit' }),
    'term-b': () => ({ result: 'upstream' as const, upstream: 'transit' }),
    transit: () => ({ result: 'upstream' as const, upstream: 'orig' }),
    orig: () => ({ result: 'originated' as const }),
    mute: () => 'silent' as const,
  };
  for (const [id, script] of Object.entries(net)) {
    const key = generateKeyPair();
    await t.api().addProvider(provider(id, key));
    agents.push(startScriptedAgent(t, id, script, key));
  }
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await t.stop();
});

async function settle(ids: string[]): Promise<void> {
  for (const id of ids) expect((await t.api('requester').waitForEnd(id, 10_000, 20)).status).not.toBe('open');
}

describe('campaigns', () => {
  it('starts one traceback per call of the list and folds every path into one graph', async () => {
    const calls = [call(1, 'term-a'), call(2, 'term-a'), call(3, 'term-b'), call(5, 'term-a')];
    const started = await t.api('requester').startCampaign('irs-spoof', calls);
    expect(started.campaign).toBe('irs-spoof');
    expect(started.tracebacks).toHaveLength(4);
    await settle(started.tracebacks.map((s) => s.id));
    for (const s of started.tracebacks) expect((await t.api('requester').getTraceback(s.id)).campaign).toBe('irs-spoof');

    const graph: CampaignGraph = await t.api('requester').campaignGraph('irs-spoof');
    expect(graph).toMatchObject({ campaign: 'irs-spoof', tracebacks: 4, outcomes: { originated: 3, non_responsive: 1 } });
    expect(graph.edges).toEqual([
      { from: 'orig', to: 'transit', calls: 3, outcomes: { originated: 3 } },
      { from: 'transit', to: 'term-a', calls: 2, outcomes: { originated: 2 } },
      { from: 'mute', to: 'term-a', calls: 1, outcomes: { non_responsive: 1 } },
      { from: 'transit', to: 'term-b', calls: 1, outcomes: { originated: 1 } },
    ]);
    expect(graph.providers.find((p) => p.id === 'orig')?.ended).toEqual({ originated: 3 });
  });

  it('starts nothing when one call of the list is bad, and names it', async () => {
    const before = (await t.store.listCases()).length;
    const res = await t.http('POST', '/v1/campaigns/bad-one/tracebacks', { token: t.tokens.requester, body: { tracebacks: [call(1, 'term-a'), { ...call(2, 'term-a'), firstProvider: 'Not An Id' }] } });
    expect(res.status).toBe(400);
    expect(res.body.path).toBe('tracebacks[1].firstProvider');
    expect((await t.store.listCases()).length).toBe(before);
  });

  it("shows only the requester's own tracebacks in the graph, all of them to an admin", async () => {
    await t.api('requester').startCampaign('shared', [call(7, 'term-b')]);
    const reader = await t.http('GET', '/v1/campaigns/shared/graph', { token: t.tokens.reader });
    expect(reader.body.tracebacks).toBe(0);
    expect((await t.api().campaignGraph('shared')).tracebacks).toBe(1);
  });
});

describe('reports', () => {
  it('serves non-responsive providers, outcomes, hops, time to complete and monthly counts', async () => {
    const started = await t.api('requester').startCampaign('reports', [call(11, 'term-a'), call(15, 'term-a')]);
    await settle(started.tracebacks.map((s) => s.id));
    const nr = await t.api('reader').report<NonResponsiveRow[]>('non-responsive', 'reports');
    expect(nr).toEqual([{ provider: 'mute', count: 1, last: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
    expect(await t.api('reader').report('outcomes', 'reports')).toEqual({ originated: 1, non_responsive: 1 });
    expect(await t.api('reader').report('hops', 'reports')).toEqual({ tracebacks: 2, mean: 2.5, histogram: { 2: 1, 3: 1 } });
    const month = new Date().toISOString().slice(0, 7);
    expect(await t.api('reader').report('monthly', 'reports')).toEqual([{ month, tracebacks: 2, outcomes: { originated: 1, non_responsive: 1 } }]);
    const ttc = await t.api('reader').report<{ month: string; completed: number; p50Ms: number; p90Ms: number }[]>('time-to-complete', 'reports');
    expect(ttc).toHaveLength(1);
    expect(ttc[0]!.completed).toBe(2);
    expect(ttc[0]!.p90Ms).toBeGreaterThanOrEqual(3000);
  });
});

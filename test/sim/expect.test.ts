/**
 * The demo's verdicts (sim/expect.ts): a wrong block, a missed block, a traceback that ended elsewhere or
 * took another path, or a hop answered from a source its carrier never had, is each named as a problem.
 */
import { describe, expect, it } from 'vitest';
import type { Case, Hop } from '../../hub/case.js';
import type { PlannedCall } from '../../sim/calls.js';
import { placementProblems, tracebackProblems } from '../../sim/expect.js';
import { demoNetwork } from '../../sim/network.js';
import type { PlacedCall } from '../../sim/place.js';

const network = demoNetwork();
const BLOCK = { provider: 'lakeshore', status: 603, reason: 'Q.850;cause=21;text="Call Rejected"', tookMs: 1 };

const call = (n: number, spoof: PlannedCall['spoof'], route: PlannedCall['route'] = 'domestic'): PlannedCall => ({ n, route, spoof, calling: `+1773264${1000 + n}`, called: `+1773555${1000 + n}` });

const placed = (c: PlannedCall, o: Partial<PlacedCall> = {}): PlacedCall => ({
  call: c,
  decisions: [],
  learned: c.route === 'domestic'
    ? [{ provider: 'voxnova', source: 'cdr:asterisk' }, { provider: 'midstate', source: 'cdr:ribbon' }, { provider: 'crossroads', source: 'cdr:kamailio' }, { provider: 'lakeshore', source: 'sip' }]
    : [{ provider: 'harborgate', source: 'cdr:freeswitch-csv' }, { provider: 'harborgate', source: 'sip' }, { provider: 'crossroads', source: 'cdr:kamailio' }, { provider: 'lakeshore', source: 'sip' }],
  ...o,
});

const hop = (provider: string, source: string, askedBy: string | null): Hop => ({
  provider,
  askedBy,
  mode: 'agent',
  state: 'answered',
  attempts: [{ queryId: `q-${provider}`, windowSec: 120, sentAt: 0, deadline: 10_000 }],
  answeredAt: 3,
  answer: { queryId: `q-${provider}`, tracebackId: 't', provider, result: 'upstream', matches: [{ at: '2026-01-01T00:00:00Z', calling: '', called: '', source, ingress: {} }], answeredAt: '2026-01-01T00:00:00Z', agentVersion: 't' },
});

const kase = (status: Case['status'], hops: Hop[], o: Partial<Case> = {}): Case => ({
  id: 't', call: { calling: '', called: '', at: '' }, requester: 'r', createdAt: 0, updatedAt: 0, status, hops, rev: 1, ...o,
});

const domesticHops = () => [hop('lakeshore', 'sip', null), hop('crossroads', 'cdr:kamailio', 'lakeshore'), hop('midstate', 'cdr:ribbon', 'crossroads'), hop('voxnova', 'cdr:asterisk', 'midstate')];

describe('placement verdicts', () => {
  it('accepts delivered ordinary calls and DNO callers blocked with 603 and cause 21 at the first policy server', () => {
    expect(placementProblems([placed(call(1, 'ordinary'), { deliveredAt: 1 }), placed(call(2, 'listed'), { blockedBy: BLOCK })], network)).toEqual([]);
  });

  it('names a DNO caller that got through, and an ordinary caller that was blocked', () => {
    expect(placementProblems([placed(call(3, 'listed'), { deliveredAt: 1 }), placed(call(4, 'ordinary'), { blockedBy: BLOCK })], network)).toEqual([
      'call 3 from +17732641003 (listed) was not blocked, expected 603 at lakeshore',
      'call 4 from +17732641004 was blocked by lakeshore (603), expected it delivered',
    ]);
  });

  it('names a block by the wrong carrier or without the Q.850 cause', () => {
    const problems = placementProblems([placed(call(5, 'invalid', 'foreign'), { blockedBy: BLOCK }), placed(call(6, 'listed'), { blockedBy: { ...BLOCK, reason: 'SIP;cause=603' } })], network);
    expect(problems).toEqual([
      'call 5 from +17732641005 (invalid) got 603 at lakeshore with Reason Q.850;cause=21;text="Call Rejected", expected 603 with Q.850 cause 21 at harborgate',
      'call 6 from +17732641006 (listed) got 603 at lakeshore with Reason SIP;cause=603, expected 603 with Q.850 cause 21 at lakeshore',
    ]);
  });
});

describe('traceback verdicts', () => {
  it('accepts a traceback that followed the route back to its originator', () => {
    expect(tracebackProblems([{ placed: placed(call(1, 'ordinary')), case: kase('originated', domesticHops(), { originator: 'voxnova' }) }], network)).toEqual([]);
  });

  it('names the wrong outcome, the wrong path and the wrong point of entry', () => {
    const hops = [hop('lakeshore', 'sip', null), hop('crossroads', 'cdr:kamailio', 'lakeshore')];
    expect(tracebackProblems([{ placed: placed(call(2, 'ordinary', 'foreign')), case: kase('non_responsive', hops, { detail: 'harborgate did not answer' }) }], network)).toEqual([
      'traceback of call 2 ended non_responsive (harborgate did not answer), expected foreign',
      'traceback of call 2 went lakeshore → crossroads, expected lakeshore → crossroads → harborgate',
      'traceback of call 2 named point of entry undefined, expected harborgate',
    ]);
  });

  it('names a hop answered from a source its carrier never learned the call from', () => {
    const hops = domesticHops();
    hops[2] = hop('midstate', 'sip', 'crossroads');
    expect(tracebackProblems([{ placed: placed(call(7, 'ordinary')), case: kase('originated', hops, { originator: 'voxnova' }) }], network)).toEqual([
      'traceback of call 7: midstate answered from sip, but learned the call only from cdr:ribbon',
    ]);
  });

  it('expects the phantom call not found', () => {
    expect(tracebackProblems([{ case: kase('not_found', [hop('lakeshore', 'sip', null)]) }], network)).toEqual([]);
    expect(tracebackProblems([{ case: kase('originated', domesticHops()) }], network)).toEqual(['traceback of the phantom call ended originated, expected not_found']);
  });
});

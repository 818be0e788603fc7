/** The demo's printed chain (sim/chain.ts): the path in call direction, then one line per hop with source, time, answer time and answer. */
import { describe, expect, it } from 'vitest';
import type { Case, Hop } from '../../hub/case.js';
import { formatChain } from '../../sim/chain.js';

const T = Date.parse('2026-11-28T12:00:01.021Z');
const hop = (provider: string, askedBy: string | null, source: string, at: number, took: number, said: Partial<Hop['answer']> & Pick<NonNullable<Hop['answer']>, 'result'>, match: object): Hop => ({
  provider,
  askedBy,
  mode: 'agent',
  state: 'answered',
  attempts: [{ queryId: 'q', windowSec: 120, sentAt: 1000, deadline: 2000 }],
  answeredAt: 1000 + took,
  answer: { queryId: 'q', tracebackId: 'c', provider, matches: [{ at: new Date(at).toISOString(), calling: '', called: '', source, ingress: {}, ...match }], answeredAt: '', agentVersion: 't', ...said },
});

describe('formatChain', () => {
  it('prints an originated traceback from the customer to the terminating carrier, hop by hop', () => {
    const c: Case = {
      id: 'c', call: { calling: '+17732641037', called: '+17735551001', at: '' }, requester: 'r', createdAt: 0, endedAt: 21, updatedAt: 21, rev: 3,
      status: 'originated', originator: 'voxnova',
      hops: [
        hop('lakeshore', null, 'sip', T, 4, { result: 'upstream' }, { upstream: { providerId: 'crossroads', name: 'Crossroads Exchange' } }),
        hop('voxnova', 'lakeshore', 'cdr:asterisk', T + 2000, 5, { result: 'originated' }, { customer: { account: 'VX-10442', name: 'Dialer Blast LLC' } }),
      ],
    };
    expect(formatChain(c, 'call  1').split('\n')).toEqual([
      'call  1  +17732641037 → +17735551001   ORIGINATED: at voxnova, customer VX-10442 Dialer Blast LLC  · 2 hop(s) in 21 ms',
      '    Dialer Blast LLC ─▶ voxnova ─▶ lakeshore',
      '    hop 1  lakeshore   sip                 call at 12:00:01.021   answered in    4 ms   upstream crossroads',
      '    hop 2  voxnova     cdr:asterisk        call at 12:00:03.021   answered in    5 ms   originated: customer VX-10442',
    ]);
  });

  it('shows the widened retry of a call nobody has', () => {
    const h: Hop = { provider: 'lakeshore', askedBy: null, mode: 'agent', state: 'answered', answeredAt: 1009, attempts: [{ queryId: 'a', windowSec: 120, sentAt: 1000, deadline: 2000 }, { queryId: 'b', windowSec: 600, sentAt: 1005, deadline: 3000 }], answer: { queryId: 'b', tracebackId: 'c', provider: 'lakeshore', result: 'not_found', matches: [], answeredAt: '', agentVersion: 't' } };
    const c: Case = { id: 'c', call: { calling: '+1', called: '+17735551999', at: '' }, requester: 'r', createdAt: 0, endedAt: 12, updatedAt: 12, rev: 3, status: 'not_found', detail: 'lakeshore has no record of the call', hops: [h] };
    expect(formatChain(c, 'phantom').split('\n')).toEqual([
      'phantom  +1 → +17735551999   NOT FOUND: lakeshore has no record of the call  · 1 hop(s) in 12 ms',
      '    ? ─▶ lakeshore',
      '    hop 1  lakeshore                       call at —   answered in    9 ms   not_found  (2 attempts, windows ±120s, ±600s)',
    ]);
  });
});

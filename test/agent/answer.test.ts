import { describe, expect, it } from 'vitest';
import { answerQuery, MAX_MATCHES, rank, windowOf, type Lookup } from '../../agent/answer.js';
import type { CallRecord } from '../../agent/calls/record.js';
import { IngressMap } from '../../agent/ingress.js';
import type { HopQuery } from '../../proto/messages.js';

const AT = Date.parse('2026-01-01T00:00:00Z');
const q: HopQuery = {
  queryId: 'q1',
  tracebackId: 't1',
  askedBy: null,
  deadline: '2026-01-02T00:00:00Z',
  call: { calling: '3125550117', called: '+12025550143', at: '2026-01-01T00:00:00Z', windowSec: 120 },
};
const ingress = new IngressMap([
  { match: { cidr: '198.51.100.0/24' }, target: { upstream: { providerId: 'carrier-b', name: 'Carrier B' } } },
  { match: { trunkGroup: 'TG_CUST' }, target: { customer: { account: 'ACME-001' } } },
  { match: { realm: 'intl' }, target: { foreign: { name: 'Overseas Telecom' } } },
]);
const ctx = { provider: 'carrier-a', now: AT + 5000, ingress };
const rec = (over: Partial<CallRecord>): CallRecord => ({ at: AT, calling: '+13125550117', called: '+12025550143', source: 'sip', ingress: { ip: '198.51.100.7' }, ...over });
const found = (...records: CallRecord[]): Lookup => ({ ok: true, records });

describe('hop answers', () => {
  it.each([
    ['an upstream peer', rec({}), 'upstream', { upstream: { providerId: 'carrier-b', name: 'Carrier B' } }],
    ['an own customer: this carrier originated the call', rec({ ingress: { trunkGroup: 'TG_CUST' } }), 'originated', { customer: { account: 'ACME-001' } }],
    ['a foreign peer: this carrier is the point of entry', rec({ ingress: { realm: 'intl' } }), 'foreign', { upstream: { name: 'Overseas Telecom' } }],
    ['an ingress not in the map, named in the answer', rec({ ingress: { ip: '203.0.113.9', trunkGroup: 'TG9' } }), 'upstream', { upstream: { name: 'unmapped ingress trunk TG9, ip 203.0.113.9' } }],
  ])('answers for %s', (_what, record, result, who) => {
    const a = answerQuery(q, found(record), ctx);
    expect(a.result).toBe(result);
    expect(a.matches).toEqual([{ at: '2026-01-01T00:00:00.000Z', calling: record.calling, called: record.called, source: record.source, ingress: record.ingress, ...who }]);
    expect(a.window).toEqual({ from: '2025-12-31T23:58:00.000Z', to: '2026-01-01T00:02:00.000Z' });
  });

  it('says not_found when the index has no such call, and unavailable (never not_found) when it could not search', () => {
    expect(answerQuery(q, found(), ctx)).toMatchObject({ result: 'not_found', matches: [] });
    expect(answerQuery(q, { ok: false, reason: 'call index unavailable: redis down' }, ctx)).toMatchObject({
      result: 'unavailable',
      matches: [],
      reason: 'call index unavailable: redis down',
    });
  });

  it('ranks by whole seconds of |Δt| (either time of a DST-ambiguous call), then a calling-number match, then source quality', () => {
    const w = windowOf(q);
    const far = rec({ at: AT + 30_000 });
    const altNear = rec({ at: AT - 3_600_000, atAlt: AT + 2000, calling: '+19995550100' });
    const otherCaller = rec({ at: AT + 400, calling: '+14045550100' });
    const cdr = rec({ at: AT + 300, source: 'cdr:ribbon' });
    const sip = rec({ at: AT - 200 });
    const untrusted = rec({ at: AT + 100, clockUntrusted: true });
    expect(rank([far, altNear, otherCaller, cdr, untrusted, sip], w, '+13125550117')).toEqual([sip, cdr, untrusted, otherCaller, altNear, far]);
  });

  it(`returns at most ${MAX_MATCHES} matches, the best first, and the best decides the result`, () => {
    const records = Array.from({ length: 8 }, (_, i) => rec({ at: AT + (8 - i) * 1000, ...(i === 7 && { ingress: { trunkGroup: 'TG_CUST' } }) }));
    const a = answerQuery(q, found(...records), ctx);
    expect(a.result).toBe('originated');
    expect(a.matches).toHaveLength(MAX_MATCHES);
    expect(a.matches.map((m) => m.at)).toEqual([1, 2, 3, 4, 5].map((s) => new Date(AT + s * 1000).toISOString()));
  });
});

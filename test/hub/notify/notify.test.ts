/**
 * Referrals and notices end to end, on a real Redis: a hub as `serve` starts it, scripted agents over loopback
 * HTTP, and subscribers' webhooks as real HTTP servers on loopback that verify every notification with the hub
 * key they pinned. Delivery, verification, retries, dead letters, redelivery, idempotency, subscription bounds,
 * provider notices and manual-hop links.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../../../hub/case.js';
import { generateKeyPair } from '../../../proto/keys.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { provider, type ScriptedAgent, startScriptedAgent } from '../harness.js';
import { startNotifyHub, type NotifyHub } from './hub-setup.js';
import { type Receiver, startReceiver } from './receiver.js';

const at = '2026-11-28T11:59:30.000Z';
const call = (n: number) => ({ calling: `+1312555000${n}`, called: '+12025550143', at });
const keys = Object.fromEntries(['term', 'mid', 'orig', 'gw'].map((id) => [id, generateKeyPair()]));

let redis: RedisServer;
let h: NotifyHub;
const agents: ScriptedAgent[] = [];
const rx: Record<string, Receiver> = {};
let deadAnswer = 500;
const ended: Record<string, Case> = {};

beforeAll(async () => {
  redis = await startRedis();
  h = await startNotifyHub({
    redisUrl: redis.url,
    providers: [
      provider('term', keys.term),
      provider('mid', keys.mid),
      provider('orig', keys.orig),
      provider('gw', keys.gw, { gateway: true }),
      provider('abroad', undefined, { foreign: true, country: 'GB', reach: 'manual' }),
      provider('mute', undefined),
      provider('desk', undefined, { reach: 'manual', contact: { email: 'noc@desk.example.net' } }),
    ],
  });
  const t = { url: h.running.url, key: h.hubKey };
  // term routes each call by its calling number: 1 → mid → orig; 2 → gw → abroad; 3 → mute (silent); 4 → desk (people).
  const next: Record<string, string> = { '+13125550001': 'mid', '+13125550002': 'gw', '+13125550003': 'mute', '+13125550004': 'desk' };
  agents.push(
    startScriptedAgent(t, 'term', (q) => ({ result: 'upstream', upstream: next[q.call.calling]! }), keys.term),
    startScriptedAgent(t, 'mid', () => ({ result: 'upstream', upstream: 'orig' }), keys.mid),
    startScriptedAgent(t, 'orig', () => ({ result: 'originated', match: { customer: { account: 'ACCT-10442', name: 'Dialer Blast LLC' } } }), keys.orig),
    startScriptedAgent(t, 'gw', () => ({ result: 'upstream', upstream: 'abroad' }), keys.gw),
  );
  const receivers: [string, Parameters<typeof startReceiver>[0]['answer']?][] = [
    ['fbi'],
    ['state-ag'],
    ['flaky', (n) => (n <= 2 ? 503 : 200)],
    ['deadend', () => deadAnswer],
    ['orig-noc'],
    ['gw-noc'],
    ['mute-noc'],
    ['desk-noc'],
  ];
  for (const [id, answer] of receivers) rx[id] = await startReceiver({ subscriber: id, hubKey: h.pinned, ...(answer && { answer }) });
  const subs = [
    { id: 'fbi', name: 'Federal agency', kind: 'agency', url: rx.fbi!.url, receives: { referrals: { campaigns: ['A'] } } },
    { id: 'state-ag', name: 'State AG', kind: 'agency', url: rx['state-ag']!.url, receives: { referrals: { outcomes: ['non_responsive'] } } },
    { id: 'flaky', name: 'Flaky agency', kind: 'agency', url: rx.flaky!.url, receives: { referrals: { campaigns: ['B'] } } },
    { id: 'deadend', name: 'Down agency', kind: 'agency', url: rx.deadend!.url, receives: { referrals: { campaigns: ['B'] } } },
    ...['orig', 'gw', 'mute', 'desk'].map((p) => ({ id: `${p}-noc`, name: `${p} NOC`, kind: 'provider', provider: p, url: rx[`${p}-noc`]!.url, receives: { notices: true } })),
  ];
  for (const s of subs) await h.api.notify().addSubscriber(s);

  const started = {
    originated: await h.api.startTraceback({ call: call(1), firstProvider: 'term', campaign: 'A' }),
    foreign: await h.api.startTraceback({ call: call(2), firstProvider: 'term', campaign: 'B' }),
    silent: await h.api.startTraceback({ call: call(3), firstProvider: 'term', campaign: 'A' }),
    manual: await h.api.startTraceback({ call: call(4), firstProvider: 'term', campaign: 'C' }),
  };
  for (const name of ['originated', 'foreign', 'silent'] as const) ended[name] = await h.api.waitForEnd(started[name].id, 15_000);
  ended.manualOpen = await h.api.getTraceback(started.manual.id);
}, 60_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await h?.stop();
  for (const r of Object.values(rx)) await r.close();
  await redis?.stop();
});

describe('referrals and notices', () => {
  it('ends the cases as scripted', () => {
    expect([ended.originated?.status, ended.foreign?.status, ended.silent?.status, ended.manualOpen?.status]).toEqual(['originated', 'foreign', 'non_responsive', 'open']);
  });

  it('delivers a referral that the agency verifies offline with its pinned hub key, evidence included', async () => {
    const got = await rx.fbi!.waitFor(2);
    const byCase = new Map(got.map((r) => [r.doc.caseId, r]));
    const r = byCase.get(ended.originated!.id)!;
    expect(r.check.failures).toEqual([]);
    expect(r.check.passed).toContain('hub seal (hub, kid hub-notify): valid over the whole referral for fbi');
    expect(r.check.passed.some((p) => p.startsWith('evidence: hub signature'))).toBe(true);
    expect(r.headers['idempotency-key']).toBe(r.doc.idempotencyKey);
    expect(r.headers['x-hoptrace-kind']).toBe('referral');
    const s = r.doc.body.summary;
    expect(s).toMatchObject({ caseKind: 'traceback', outcome: 'originated', path: ['orig', 'mid', 'term'], originator: { provider: 'orig', customer: { account: 'ACCT-10442' } } });
    expect(s.timings.hops.map((x: { provider: string }) => x.provider)).toEqual(['term', 'mid', 'orig']);
    expect(r.doc.body.campaign).toMatchObject({ campaign: 'A', tracebacks: 2 });
  });

  it('sends nothing outside a subscription: campaign A to fbi only, non-responsive to the state only', async () => {
    await rx['state-ag']!.waitFor(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.fbi!.received.map((r) => r.doc.caseId).sort()).toEqual([ended.originated!.id, ended.silent!.id].sort());
    expect(rx['state-ag']!.received.map((r) => [r.doc.caseId, r.doc.body.summary.outcome])).toEqual([[ended.silent!.id, 'non_responsive']]);
    for (const id of ['flaky', 'deadend']) expect(rx[id]!.received.every((r) => r.doc.caseId === ended.foreign!.id)).toBe(true);
    expect(rx['state-ag']!.received[0]!.check.ok).toBe(true);
  });

  it('retries after the receiver fails, with the same idempotency key and bytes every time', async () => {
    const got = await rx.flaky!.waitFor(3);
    expect(got.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(got.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(new Set(got.map((r) => r.raw)).size).toBe(1);
    expect(got.map((r) => r.headers['x-hoptrace-attempt'])).toEqual(['1', '2', '3']);
    const [d] = await h.api.notify().deliveries({ subscriber: 'flaky' });
    expect(d).toMatchObject({ state: 'delivered', attempts: 3, id: got[0]!.doc.idempotencyKey });
  });

  it('dead-letters after the limit with the last error, and redelivers on demand with the same key', async () => {
    await rx.deadend!.waitFor(3);
    const api = h.api.notify();
    let dead = await api.deliveries({ state: 'dead' });
    for (let i = 0; !dead.length && i < 40; i++) dead = (await new Promise((r) => setTimeout(r, 50)), await api.deliveries({ state: 'dead' }));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ subscriber: 'deadend', attempts: 3, lastError: expect.stringMatching(/^receiver answered 500/) });
    const letters = await request(`${h.running.url}/v1/deliveries/dead-letters`, { headers: { authorization: `Bearer ${h.token}` } });
    expect(((await letters.body.json()) as { deliveries: { id: string }[] }).deliveries.map((d) => d.id)).toEqual([dead[0]!.id]);
    expect(rx.deadend!.received).toHaveLength(3);

    deadAnswer = 200;
    await api.redeliver(dead[0]!.id);
    const got = await rx.deadend!.waitFor(4);
    expect(got[3]!.status).toBe(200);
    expect(got[3]!.headers['idempotency-key']).toBe(dead[0]!.id);
    expect(got[3]!.check.ok).toBe(true);
    expect((await api.delivery(dead[0]!.id)).state).toBe('delivered');
  });

  it('tells the originator, the point of entry and the silent provider what is asked of each', async () => {
    const [orig] = await rx['orig-noc']!.waitFor(1);
    expect(orig!.check.ok).toBe(true);
    expect(orig!.doc.body).toMatchObject({ provider: 'orig', reason: 'originator', customer: { account: 'ACCT-10442' }, asked: expect.stringMatching(/identify the customer, stop the traffic/) });
    const [gw] = await rx['gw-noc']!.waitFor(1);
    expect(gw!.doc.body).toMatchObject({ provider: 'gw', reason: 'point-of-entry', foreignUpstream: 'ABROAD' });
    const [mute] = await rx['mute-noc']!.waitFor(1);
    const deadline = ended.silent!.hops.at(-1)!.attempts.at(-1)!.deadline;
    expect(mute!.doc.body).toMatchObject({ provider: 'mute', reason: 'non-responsive', missedDeadline: new Date(deadline).toISOString(), namedBy: 'term' });
    // A notice carries what its provider needs, not the other providers' signed answers.
    expect(JSON.stringify(orig!.doc.body)).not.toContain('answerJws');
    for (const id of ['orig-noc', 'gw-noc', 'mute-noc']) expect(rx[id]!.received).toHaveLength(1);
  });

  it("sends a manual hop's signed link to the provider's endpoint; answering through it ends the case and notifies again", async () => {
    const [m] = await rx['desk-noc']!.waitFor(1);
    expect(m!.check.ok).toBe(true);
    expect(m!.doc.kind).toBe('manual-hop');
    expect(m!.doc.body).toMatchObject({ provider: 'desk', question: 'Who handed this call to you?', askedBy: 'term', call: call(4) });
    const link = new URL(m!.doc.body.link as string);
    expect(link.pathname).toBe('/ui/manual.html');
    const token = link.hash.slice(1);
    const res = await request(`${h.running.url}/v1/manual/question`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Manual ${token}` },
      body: JSON.stringify({ result: 'originated', customer: { account: 'D-77' }, answeredBy: { name: 'Pat at Desk' } }),
    });
    expect(res.statusCode).toBe(202);
    await res.body.dump();
    const done = await h.api.waitForEnd(ended.manualOpen!.id, 5000);
    expect(done).toMatchObject({ status: 'originated', originator: 'desk' });
    const both = await rx['desk-noc']!.waitFor(2);
    expect(both[1]!.doc.body).toMatchObject({ reason: 'originator', customer: { account: 'D-77' } });
  });
});

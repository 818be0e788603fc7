/**
 * Trace forward: the holder of a call-back number is found by its number block, asked by people through the
 * signed link its notification endpoint receives, and the case ends with evidence that verifies offline, as a
 * traceback's does; a referral names it as a trace forward.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEvidence } from '../../../hub/evidence-check.js';
import { FORWARD_QUESTION } from '../../../hub/notify/notices.js';
import { generateKeyPair } from '../../../proto/keys.js';
import { provider } from '../harness.js';
import { startNotifyHub, type NotifyHub } from '../notify/hub-setup.js';
import { type Receiver, startReceiver } from '../notify/receiver.js';

let h: NotifyHub;
const rx: Record<string, Receiver> = {};
const scamCall = { calling: '+18005550100', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };

async function http(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(`${h.running.url}${path}`, {
    method: method as 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: await res.body.json() };
}

async function answer(link: string, body: unknown): Promise<number> {
  const token = new URL(link).hash.slice(1);
  const res = await request(`${h.running.url}/v1/manual/question`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Manual ${token}` }, body: JSON.stringify(body) });
  await res.body.dump();
  return res.statusCode;
}

beforeAll(async () => {
  // voiptel has an agent, but agents index calls, not number assignments: its people are asked.
  h = await startNotifyHub({ providers: [provider('voiptel', generateKeyPair()), provider('porttel', undefined, { reach: 'manual' })] });
  for (const id of ['fbi', 'voiptel-noc', 'porttel-noc']) rx[id] = await startReceiver({ subscriber: id, hubKey: h.pinned });
  const api = h.api.notify();
  await api.addSubscriber({ id: 'fbi', name: 'FBI', kind: 'agency', url: rx.fbi!.url, receives: { referrals: {} } });
  for (const p of ['voiptel', 'porttel']) await api.addSubscriber({ id: `${p}-noc`, name: p, kind: 'provider', provider: p, url: rx[`${p}-noc`]!.url, receives: { notices: true } });
  await api.addNumberBlock({ prefix: '+1312555', provider: 'voiptel' });
  await api.addNumberBlock({ prefix: '+13125559', provider: 'porttel' });
});

afterAll(async () => {
  await h?.stop();
  for (const r of Object.values(rx)) await r.close();
});

describe('trace forward', () => {
  it('asks the holder found by the longest number block, follows a port, and ends with verifiable evidence', async () => {
    const started = await h.api.notify().startForward({ number: '+13125550199', call: scamCall, campaign: 'tech-support' });
    expect(started).toMatchObject({ status: 'open', forward: { number: '+13125550199' }, hops: [{ provider: 'voiptel', mode: 'manual' }] });

    const [ask] = await rx['voiptel-noc']!.waitFor(1);
    expect(ask!.check.ok).toBe(true);
    expect(ask!.doc.kind).toBe('manual-hop');
    expect(ask!.doc.body).toMatchObject({ caseKind: 'forward', number: '+13125550199', question: FORWARD_QUESTION });
    const page = await request(`${h.running.url}/v1/manual/question`, { headers: { authorization: `Manual ${new URL(ask!.doc.body.link).hash.slice(1)}` } });
    expect(await page.body.json()).toMatchObject({ question: FORWARD_QUESTION, number: '+13125550199' });
    expect(await answer(ask!.doc.body.link, { result: 'upstream', upstream: { providerId: 'porttel' }, answeredBy: { name: 'Sam at VoIPTel' }, note: 'ported out in October' })).toBe(202);

    const [ask2] = await rx['porttel-noc']!.waitFor(1);
    expect(ask2!.doc.body).toMatchObject({ caseKind: 'forward', askedBy: 'voiptel' });
    expect(await answer(ask2!.doc.body.link, { result: 'originated', customer: { account: 'PT-501', name: 'Refund Desk Ltd' }, answeredBy: { name: 'Ana at PortTel' } })).toBe(202);

    const done = await h.api.waitForEnd(started.id, 5000);
    expect(done).toMatchObject({ status: 'originated', originator: 'porttel', forward: { number: '+13125550199' } });
    const bundle = await h.api.evidence(started.id);
    const report = checkEvidence(bundle, { hubKey: h.pinned });
    expect(report.failures).toEqual([]);
    expect(report.passed).toContain('hop 2 (porttel): originated answer signed by hub (kid hub-notify)');

    const [referral] = await rx.fbi!.waitFor(1);
    expect(referral!.check.ok).toBe(true);
    expect(referral!.doc.body.summary).toMatchObject({ caseKind: 'forward', number: '+13125550199', path: ['porttel', 'voiptel'], originator: { provider: 'porttel', customer: { account: 'PT-501' } } });
    const [, notice] = await rx['porttel-noc']!.waitFor(2);
    expect(notice!.doc.body).toMatchObject({ reason: 'originator', asked: expect.stringMatching(/^The call-back number of a scam call is assigned to your customer/) });
  });

  it('ends not_found at once when the holder says the number is not theirs (no wider retry)', async () => {
    const started = await h.api.notify().startForward({ number: '+13125559001' });
    expect(started.hops[0]!.provider).toBe('porttel');
    const asks = await rx['porttel-noc']!.waitFor(1, (r) => r.doc.caseId === started.id);
    expect(await answer(asks[0]!.doc.body.link, { result: 'not_found', answeredBy: { name: 'Ana at PortTel' } })).toBe(202);
    expect(await h.api.waitForEnd(started.id, 5000)).toMatchObject({ status: 'not_found', hops: [{ attempts: [expect.anything()] }] });
  });

  it('refuses bad input with the field named, and starts nothing', async () => {
    const before = (await http('GET', '/v1/tracebacks', h.token)).body.tracebacks.length;
    expect(await http('POST', '/v1/forwards', h.token, { number: '3125550199' })).toMatchObject({ status: 400, body: { path: 'number' } });
    expect(await http('POST', '/v1/forwards', h.token, { number: '+19995550100' })).toMatchObject({ status: 400, body: { path: 'holder', error: expect.stringMatching(/no registered number block holds \+19995550100/) } });
    expect(await http('POST', '/v1/forwards', h.token, { number: '+19995550100', holder: 'nobody' })).toMatchObject({ status: 400, body: { error: 'holder: no registered provider nobody' } });
    expect(await http('POST', '/v1/number-blocks', h.token, { prefix: '1312', provider: 'voiptel' })).toMatchObject({ status: 400, body: { path: 'prefix' } });
    expect(await http('POST', '/v1/number-blocks', h.token, { prefix: '+1415', provider: 'nobody' })).toMatchObject({ status: 404 });
    expect((await http('GET', '/v1/tracebacks', h.token)).body.tracebacks.length).toBe(before);
    expect((await http('GET', '/v1/number-blocks', h.token)).body.blocks).toEqual([
      { prefix: '+1312555', provider: 'voiptel' },
      { prefix: '+13125559', provider: 'porttel' },
    ]);
  });

  it('lets requesters start a trace forward but only admins change number blocks', async () => {
    expect((await http('POST', '/v1/number-blocks', h.requester, { prefix: '+1415', provider: 'voiptel' })).status).toBe(403);
    expect((await http('POST', '/v1/forwards', h.requester, { number: '+13125550123' })).status).toBe(201);
  });
});

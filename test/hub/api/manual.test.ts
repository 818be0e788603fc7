/**
 * Manual hops over HTTP: the signed, expiring link a provider's person opens, their answer signed by the hub on
 * their behalf and applied as an agent's would be, and every way a link is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../../../hub/case.js';
import { signManualLink } from '../../../hub/manual.js';
import { verifyOffline } from '../../../proto/envelope.js';
import { generateKeyPair, publicKeyFromRaw } from '../../../proto/keys.js';
import { provider, type ScriptedAgent, startScriptedAgent, startTestHub, type TestHub } from '../harness.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };
let t: TestHub;
let term: ScriptedAgent;

beforeAll(async () => {
  t = await startTestHub();
  const key = generateKeyPair();
  await t.api().addProvider(provider('term', key));
  await t.api().addProvider(provider('by-hand', undefined, { reach: 'manual', contact: { email: 'noc@byhand.example', phone: '+12025550100' } }));
  await t.api().addProvider(provider('known-orig', undefined, { reach: 'manual', contact: { email: 'noc@orig.example' } }));
  term = startScriptedAgent(t, 'term', () => ({ result: 'upstream', upstream: 'by-hand' }), key);
});
afterAll(async () => {
  await term.stop();
  await t.stop();
});

/** Start a traceback and wait until it waits for a person at `provider`; the link ops would send them. */
async function waitingFor(provider: string): Promise<{ c: Case; token: string }> {
  const started = await t.api('requester').startTraceback({ call: CALL, firstProvider: 'term' });
  return linkFor(started.id, provider);
}

async function linkFor(caseId: string, provider: string): Promise<{ c: Case; token: string }> {
  for (let i = 0; i < 200; i++) {
    const p = (await t.api().pendingManual()).find((m) => m.caseId === caseId && m.provider === provider);
    if (p) return { c: await t.api().getTraceback(caseId), token: new URL(p.url).hash.slice(1) };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no manual hop for ${provider} in ${caseId}`);
}

/** What the answer page sends: the link's token in a header, never in the path. */
function ask(method: 'GET' | 'POST', token: string, body?: unknown) {
  return t.http(method, '/v1/manual/question', { headers: { authorization: `Manual ${token}` }, ...(body !== undefined && { body }) });
}

const person = { name: 'Pat Noc', email: 'pat@byhand.example' };

describe('manual hops', () => {
  it('lists the waiting hop for ops with the contact, and shows the call and the question to whoever opens the link', async () => {
    const { c, token } = await waitingFor('by-hand');
    const pending = (await t.api().pendingManual()).find((p) => p.caseId === c.id)!;
    expect(pending).toMatchObject({ provider: 'by-hand', contact: { email: 'noc@byhand.example', phone: '+12025550100' } });
    // Each listing signs a fresh link for the same question.
    // The link is the answer page with the token in its fragment, as notices carry it: no API path to log.
    expect(pending.url).toMatch(new RegExp(`^${t.url}/ui/manual\\.html#[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const shown = await ask('GET', token);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      traceback: c.id,
      provider: { id: 'by-hand', name: 'BY-HAND' },
      askedBy: 'term',
      call: { ...CALL, windowSec: 120 },
      answers: ['upstream', 'originated', 'not_found'],
    });
    expect(shown.body.providers.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(['term', 'known-orig']));
    expect(shown.body.providers.map((p: { id: string }) => p.id)).not.toContain('by-hand');
  });

  it('takes an upstream named by a new name: registers it provisionally, signs the answer for the person, and asks the new provider by hand', async () => {
    const { c, token } = await waitingFor('by-hand');
    const posted = await ask('POST', token, { result: 'upstream', upstream: { name: 'Shady Wholesale, LLC' }, answeredBy: person });
    expect(posted).toEqual({ status: 202, body: { tracebackId: c.id, status: 'open' } });

    const fresh = await t.api().getProvider('shady-wholesale-llc');
    expect(fresh).toMatchObject({ name: 'Shady Wholesale, LLC', reach: 'manual', provisional: { caseId: c.id, namedBy: 'by-hand', answeredBy: 'Pat Noc' } });
    const now = await t.api().getTraceback(c.id);
    const hop = now.hops[1]!;
    expect(hop).toMatchObject({ provider: 'by-hand', state: 'answered', answeredBy: person, answer: { result: 'upstream', provider: 'by-hand' } });
    expect(hop.answer?.matches[0]?.upstream).toEqual({ providerId: 'shady-wholesale-llc', name: 'Shady Wholesale, LLC' });
    // The hub signed it with its own key, recorded as the key that verifies it.
    const v = verifyOffline(hop.answerJws!, hop.answerKeys!.map((k) => publicKeyFromRaw(k.publicKey)));
    expect([v.claims.iss, v.body]).toEqual(['hub', hop.answer]);
    expect(now.hops[2]).toMatchObject({ provider: 'shady-wholesale-llc', askedBy: 'by-hand', mode: 'manual', state: 'pending' });

    // A second person naming the same company by name reaches the same provider, not a new one.
    const again = await waitingFor('by-hand');
    await ask('POST', again.token, { result: 'upstream', upstream: { name: '  shady wholesale, llc ' }, answeredBy: person });
    expect((await t.api().listProviders()).filter((p) => p.name.toLowerCase().startsWith('shady'))).toHaveLength(1);
  });

  it('ends originated when the next person says so, and refuses the used link afterwards', async () => {
    const { c, token } = await waitingFor('by-hand');
    await ask('POST', token, { result: 'upstream', upstream: { providerId: 'known-orig' }, answeredBy: person });
    const next = await linkFor(c.id, 'known-orig');
    const done = await ask('POST', next.token, { result: 'originated', customer: { account: 'acct-9' }, answeredBy: { name: 'Lee Orig' } });
    expect(done.body).toEqual({ tracebackId: c.id, status: 'originated' });
    const ended = await t.api().getTraceback(c.id);
    expect([ended.originator, ended.hops[2]?.answeredBy, ended.hops[2]?.answer?.matches[0]?.customer]).toEqual(['known-orig', { name: 'Lee Orig' }, { account: 'acct-9' }]);

    const reused = await ask('POST', next.token, { result: 'not_found', answeredBy: person });
    expect(reused).toEqual({ status: 410, body: { error: 'this question was already answered or is no longer open' } });
    expect((await ask('GET', token)).status).toBe(410);
  });

  it('ends not_found after the widened retry when the person has no record', async () => {
    const { c, token } = await waitingFor('by-hand');
    await ask('POST', token, { result: 'not_found', answeredBy: person });
    const retry = await linkFor(c.id, 'by-hand');
    expect(retry.c.hops[1]?.attempts.map((a) => a.windowSec)).toEqual([120, 600]);
    expect((await ask('GET', retry.token)).body.call.windowSec).toBe(600);
    await ask('POST', retry.token, { result: 'not_found', answeredBy: person });
    expect((await t.api().getTraceback(c.id)).status).toBe('not_found');
  });

  it.each([
    ['no result', { answeredBy: person }, 'result', /^result: /],
    ['upstream without naming one', { result: 'upstream', answeredBy: person }, 'upstream', /required when result is upstream/],
    ['an unregistered provider id', { result: 'upstream', upstream: { providerId: 'nobody' }, answeredBy: person }, 'upstream.providerId', /no registered provider nobody/],
    ['no person', { result: 'not_found' }, 'answeredBy', /^answeredBy: /],
    ['a bad e-mail', { result: 'not_found', answeredBy: { name: 'x', email: 'not-mail' } }, 'answeredBy.email', /^answeredBy.email: /],
  ])('refuses an answer with %s, naming the field, and changes nothing', async (_what, body, field, reason) => {
    const { c, token } = await waitingFor('by-hand');
    const providers = await t.api().listProviders();
    const res = await ask('POST', token, body);
    expect(res.status).toBe(400);
    expect(res.body.path).toBe(field);
    expect(res.body.error).toMatch(reason);
    expect(await t.api().getTraceback(c.id)).toEqual(c);
    expect(await t.api().listProviders()).toEqual(providers);
  });

  it('refuses a forged, altered or expired link without saying anything about the case', async () => {
    const { c, token } = await waitingFor('by-hand');
    const attempt = c.hops[1]!.attempts.at(-1)!;
    const link = { caseId: c.id, queryId: attempt.queryId, provider: 'by-hand', expires: attempt.deadline };
    const forged = signManualLink(link, 'hub', generateKeyPair('hub-test'), Date.now());
    const expired = signManualLink({ ...link, expires: Date.now() - 1 }, 'hub', t.key, Date.now());
    const altered = `${token.slice(0, -5)}${token.slice(-5) === 'AAAAA' ? 'BBBBB' : 'AAAAA'}`;
    for (const [bad, status, error] of [
      [forged, 401, 'this link is not valid'],
      [altered, 401, 'this link is not valid'],
      ['not-a-link', 401, 'this link is not valid'],
      [expired, 410, 'this link has expired'],
    ] as const) {
      expect(await ask('GET', bad)).toEqual({ status, body: { error } });
      expect(await ask('POST', bad, { result: 'originated', answeredBy: person })).toEqual({ status, body: { error } });
    }
    expect(await t.api().getTraceback(c.id)).toEqual(c);
  });
});

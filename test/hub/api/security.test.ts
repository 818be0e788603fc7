/**
 * Every route refuses what it must (DESIGN §8): no token, an unknown or expired token, or a token without the
 * route's role — each with its reason (401/403), leaking nothing, and changing nothing. Bodies are bounded and
 * validated with the bad field named. Agents authenticate with signed envelopes only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../../hub/api/app.js';
import { sign } from '../../../proto/envelope.js';
import { generateKeyPair, publicKeyToRaw } from '../../../proto/keys.js';
import { provider, startTestHub, type TestHub } from '../harness.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };
const termKey = generateKeyPair();
let t: TestHub;
let caseId: string;

beforeAll(async () => {
  // Deadlines far away: nothing moves the case while refused requests are checked to change nothing.
  t = await startTestHub({ engine: { agentDeadlineMs: 3_600_000 } });
  await t.api().addProvider(provider('term', termKey));
  caseId = (await t.api('requester').startTraceback({ call: CALL, firstProvider: 'term', campaign: 'c1' })).id;
});
afterAll(() => t.stop());

/** Everything a refused request could have changed. */
async function state() {
  return JSON.stringify([await t.store.listProviders(), await t.store.listCases()]);
}

type Route = [method: string, path: string, role: string, body?: unknown];
const ROUTES: Route[] = [
  ['POST', '/v1/providers', 'admin', provider('new-co', undefined)],
  ['GET', '/v1/providers', 'trace:read'],
  ['GET', '/v1/providers/term', 'trace:read'],
  ['PATCH', '/v1/providers/term', 'admin', { name: 'Renamed' }],
  ['POST', '/v1/providers/term/keys', 'admin', { kid: 'k2', publicKey: publicKeyToRaw(generateKeyPair().publicKey) }],
  ['POST', '/v1/tracebacks', 'trace:write', { call: CALL, firstProvider: 'term' }],
  ['GET', '/v1/tracebacks', 'trace:read'],
  ['GET', '/v1/tracebacks/:case', 'trace:read'],
  ['GET', '/v1/tracebacks/:case/evidence', 'trace:read'],
  ['POST', '/v1/tracebacks/:case/cancel', 'trace:write', {}],
  ['POST', '/v1/campaigns/c1/tracebacks', 'trace:write', { tracebacks: [{ call: CALL, firstProvider: 'term' }] }],
  ['GET', '/v1/campaigns/c1/graph', 'trace:read'],
  ['GET', '/v1/manual', 'admin'],
  ['GET', '/v1/reports/outcomes', 'trace:read'],
];
const at = (path: string) => path.replace(':case', caseId);
/** A token that has some role, but not this one. */
const LACKING: Record<string, 'requester' | 'writer' | 'reader'> = { admin: 'requester', 'trace:read': 'writer', 'trace:write': 'reader' };

describe('roles on every route', () => {
  it.each(ROUTES)('%s %s refuses a missing, unknown or expired token (401) and a token without %s (403), changing nothing', async (method, path, role, body) => {
    const before = await state();
    const cases: [string | undefined, number, string][] = [
      [undefined, 401, 'missing bearer token'],
      ['ht_no-such-token', 401, 'unknown token'],
      [t.tokens.expired, 401, 'token expired'],
      [t.tokens[LACKING[role]!], 403, `token lacks role ${role}`],
      [t.tokens.dno, 403, `token lacks role ${role}`],
    ];
    for (const [token, status, error] of cases) {
      const res = await t.http(method, at(path), { ...(token && { token }), body });
      expect([res.status, res.body]).toEqual([status, { error }]);
    }
    expect(await state()).toBe(before);
  });

  it('refuses a malformed Authorization header as missing', async () => {
    for (const authorization of ['Basic dXNlcjpwdw==', 'Bearer', `Bearer ${t.tokens.admin} extra`]) {
      expect(await t.http('GET', '/v1/providers', { headers: { authorization } })).toEqual({ status: 401, body: { error: 'missing bearer token' } });
    }
  });

  it('lets a token with the role past the check on every route, and admin everywhere', async () => {
    const holder: Record<string, 'admin' | 'reader' | 'writer'> = { admin: 'admin', 'trace:read': 'reader', 'trace:write': 'writer' };
    for (const [method, path, role, body] of ROUTES) {
      for (const as of [holder[role]!, 'admin'] as const) {
        const res = await t.http(method, at(path), { token: t.tokens[as], body });
        expect([401, 403], `${method} ${path} as ${as}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
      }
    }
  });

  it("hides another requester's traceback behind the same 404 as an absent one", async () => {
    const other = await t.http('GET', `/v1/tracebacks/${caseId}`, { token: t.tokens.reader });
    const absent = await t.http('GET', '/v1/tracebacks/no-such-case', { token: t.tokens.reader });
    expect(other).toEqual({ status: 404, body: { error: 'no such traceback' } });
    expect(absent).toEqual(other);
    expect((await t.http('GET', `/v1/tracebacks/${caseId}/evidence`, { token: t.tokens.reader })).status).toBe(404);
    const listed = await t.http('GET', '/v1/tracebacks', { token: t.tokens.reader });
    expect(listed.body.tracebacks).toEqual([]);
  });
});

describe('bodies', () => {
  it('refuses a body over the size limit with 413 before reading it, starting nothing', async () => {
    const before = await state();
    const raw = JSON.stringify({ call: CALL, firstProvider: 'term', pad: 'x'.repeat(MAX_BODY_BYTES) });
    const res = await t.http('POST', '/v1/tracebacks', { token: t.tokens.requester, raw });
    expect(res).toEqual({ status: 413, body: { error: `body larger than ${MAX_BODY_BYTES} bytes` } });
    expect((await t.http('POST', '/v1/agent/answers', { raw })).status).toBe(413);
    expect(await state()).toBe(before);
  });

  it.each([
    ['POST', '/v1/tracebacks', 'requester', { call: CALL }, 'firstProvider', /^firstProvider: /],
    ['POST', '/v1/tracebacks', 'requester', { call: { ...CALL, at: 'noon' }, firstProvider: 'term' }, 'call.at', /^call.at: /],
    ['POST', '/v1/providers', 'admin', { ...provider('bad-key', undefined), keys: [{ kid: 'k', publicKey: 'short' }] }, 'keys[0].publicKey', /base64url of a raw 32-byte Ed25519 key/],
    ['POST', '/v1/providers', 'admin', { ...provider('bad-mail', undefined), contact: { email: 'nope' } }, 'contact.email', /^contact.email: /],
    ['POST', '/v1/providers', 'admin', { ...provider('bad-ocn', undefined), ocn: '12' }, 'ocn', /a 4-character OCN/],
    ['PATCH', '/v1/providers/term', 'admin', { reach: 'carrier-pigeon' }, 'reach', /^reach: /],
    ['PATCH', '/v1/providers/term', 'admin', { id: 'other' }, 'id', /a provider's id cannot change/],
    ['POST', '/v1/providers/term/keys', 'admin', { kid: 'k9' }, 'publicKey', /^publicKey: /],
    ['POST', '/v1/providers/term/keys', 'admin', { kid: 'k9', publicKey: publicKeyToRaw(termKey.publicKey), overlapHours: -1 }, 'overlapHours', /^overlapHours: /],
    ['POST', '/v1/campaigns/c1/tracebacks', 'requester', { tracebacks: [{ call: CALL, firstProvider: 'term' }, { call: CALL }] }, 'tracebacks[1].firstProvider', /^tracebacks\[1\].firstProvider: /],
    ['POST', '/v1/campaigns/bad%20name%7B/tracebacks', 'requester', { tracebacks: [{ call: CALL, firstProvider: 'term' }] }, '', /letters, digits/],
  ] as const)('%s %s refuses a bad body with 400 naming the field (%#), changing nothing', async (method, path, as, body, field, reason) => {
    const before = await state();
    const res = await t.http(method, path, { token: t.tokens[as], body });
    expect(res.status).toBe(400);
    expect(res.body.path).toBe(field);
    expect(res.body.error).toMatch(reason);
    expect(await state()).toBe(before);
  });

  it('refuses a body that is not JSON', async () => {
    const res = await t.http('POST', '/v1/tracebacks', { token: t.tokens.requester, raw: '{"call":' });
    expect(res).toEqual({ status: 400, body: { error: 'body is not valid JSON' } });
  });

  it('says which provider or report does not exist', async () => {
    expect(await t.http('PATCH', '/v1/providers/ghost', { token: t.tokens.admin, body: { name: 'x' } })).toEqual({ status: 404, body: { error: 'no such provider: ghost' } });
    expect((await t.http('GET', '/v1/reports/everything', { token: t.tokens.reader })).body.error).toMatch(/^no such report: everything \(one of non-responsive/);
  });
});

describe('agent endpoints take signed envelopes only', () => {
  const poll = (key = termKey, iss = 'term') => sign({}, { iss, aud: 'hub', typ: 'poll', key });

  it('refuses a poll without a signature, with an unregistered key, or replayed', async () => {
    expect(await t.http('GET', '/v1/agent/queries')).toEqual({ status: 401, body: { error: 'missing signed poll (Authorization: Hoptrace <jws>)' } });
    const stranger = await t.http('GET', '/v1/agent/queries', { headers: { authorization: `Hoptrace ${poll(generateKeyPair())}` } });
    expect([stranger.status, stranger.body.code]).toEqual([401, 'unknown-key']);
    const once = poll();
    expect((await t.http('GET', '/v1/agent/queries', { headers: { authorization: `Hoptrace ${once}` } })).status).toBe(200);
    const replay = await t.http('GET', '/v1/agent/queries', { headers: { authorization: `Hoptrace ${once}` } });
    expect([replay.status, replay.body.code]).toEqual([401, 'replayed']);
  });

  it('refuses an answer that is not a signed envelope, signed by a stranger, or speaking for another provider', async () => {
    const before = await state();
    expect(await t.http('POST', '/v1/agent/answers', { body: { jws: 42 } })).toEqual({ status: 400, body: { error: 'jws: expected a string' } });
    const c = await t.api().getTraceback(caseId);
    const answer = { queryId: c.hops[0]!.attempts[0]!.queryId, tracebackId: caseId, provider: 'term', result: 'originated', matches: [], answeredAt: CALL.at, agentVersion: 't' };
    const stranger = sign(answer, { iss: 'term', aud: 'hub', typ: 'hop-answer', key: generateKeyPair(termKey.kid) });
    expect((await t.http('POST', '/v1/agent/answers', { body: { jws: stranger } })).body).toMatchObject({ code: 'bad-signature' });
    const other = generateKeyPair();
    await t.api().addProvider(provider('other-co', other));
    const impostor = sign(answer, { iss: 'other-co', aud: 'hub', typ: 'hop-answer', key: other });
    expect(await t.http('POST', '/v1/agent/answers', { body: { jws: impostor } })).toEqual({ status: 403, body: { error: 'answer for term signed by other-co' } });
    // other-co was registered above; the cases are untouched.
    expect(JSON.parse(await state())[1]).toEqual(JSON.parse(before)[1]);
  });
});

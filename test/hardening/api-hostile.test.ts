/**
 * The hub API against a hostile caller, on a real hub (startHub: its configuration, HTTP server and a real
 * Redis): deep and mistyped JSON, fields the caller must not set, forged, replayed and stale envelopes, an
 * agent answering for another case or provider, and fishing for calls. Each is refused with the right status
 * and reason, logged, and changes nothing. test/hub/api/security.test.ts covers roles, tokens and body sizes.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubConfig } from '../../config/hub.js';
import { startHub, type RunningHub } from '../../hub/server.js';
import { HubLink } from '../../agent/link/hub-link.js';
import { PushEndpoint } from '../../agent/link/push.js';
import { decode, sign } from '../../proto/envelope.js';
import { generateKeyPair, publicKeyToRaw, type KeyPair } from '../../proto/keys.js';
import type { HopAnswer, HopQuery } from '../../proto/messages.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tokensFile } from './tokens-file.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: new Date(Date.now() - 60_000).toISOString() };
const termKey = generateKeyPair('term-k1');
const otherKey = generateKeyPair('other-k1');
let redis: RedisServer;
let running: RunningHub;
const logged: Record<string, unknown>[] = [];
let requester: string;
let admin: string;
let caseA: string;
let caseB: string;

async function call(method: string, path: string, o: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
  const res = await request(`${running.url}${path}`, {
    method: method as 'GET',
    headers: { ...(o.token && { authorization: `Bearer ${o.token}` }), ...(body !== undefined && { 'content-type': 'application/json' }), ...o.headers },
    ...(body !== undefined && { body }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Everything a refused request could change: providers, cases with their hops and attempts, queued queries. */
async function state(): Promise<string> {
  const store = running.hub.store;
  return JSON.stringify([await store.listProviders(), await store.listCases({ limit: 1000 })]);
}

/** The request was logged as refused, with its status. */
function expectRefusalLogged(status: number): void {
  expect(logged.some((l) => l.msg === 'request refused' && l.status === status), `a "request refused" log line with status ${status}`).toBe(true);
}

const provider = (id: string, key: KeyPair) => ({ id, name: id.toUpperCase(), reach: 'agent-pull', keys: [{ kid: key.kid, publicKey: publicKeyToRaw(key.publicKey) }] });

/** The open attempt's query id of a case (the query the asked agent must answer). */
async function openQuery(caseId: string): Promise<string> {
  const c = await running.hub.getCase(caseId);
  return c!.hops.at(-1)!.attempts.at(-1)!.queryId;
}

function answer(o: { queryId: string; tracebackId: string; provider?: string }): HopAnswer {
  return { queryId: o.queryId, tracebackId: o.tracebackId, provider: o.provider ?? 'term', result: 'originated', matches: [], answeredAt: new Date().toISOString(), agentVersion: 'hostile' };
}
const signedAnswer = (a: HopAnswer, key = termKey, iss = 'term', now?: number) => sign(a, { iss, aud: 'hub', typ: 'hop-answer', key, ...(now !== undefined && { now }) });

beforeAll(async () => {
  redis = await startRedis();
  const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
  // Deadlines far off: nothing moves a case while refused requests are checked to change nothing.
  const { file, tokens } = tokensFile({ requester: ['trace:write', 'trace:read'], admin: ['admin'] });
  ({ requester, admin } = tokens);
  const cfg = HubConfig.parse({ http: { listen: '127.0.0.1:0' }, redis: { url: redis.url }, tokens: { file }, deadlines: { agentSec: 3600 } });
  running = await startHub(cfg, log);
  for (const [id, key] of [['term', termKey], ['other', otherKey]] as const) {
    expect((await call('POST', '/v1/providers', { token: admin, body: provider(id, key) })).status).toBe(201);
  }
  caseA = (await call('POST', '/v1/tracebacks', { token: requester, body: { call: CALL, firstProvider: 'term' } })).body.id;
  caseB = (await call('POST', '/v1/tracebacks', { token: requester, body: { call: { ...CALL, called: '+12025550199' }, firstProvider: 'other' } })).body.id;
  expect([caseA, caseB].every((id) => typeof id === 'string')).toBe(true);
});

afterAll(async () => {
  await running?.stop();
  await redis?.stop();
});

describe('hostile JSON bodies', () => {
  it('refuses an oversized body sent chunked (no Content-Length) with 413 on every route, agents\' included', async () => {
    const before = await state();
    for (const [path, token] of [['/v1/tracebacks', requester], ['/v1/agent/answers', undefined]] as const) {
      const pad = 'x'.repeat(64 * 1024);
      const chunks = (function* () {
        yield `{"jws":"`;
        for (let i = 0; i < 40; i++) yield pad;
        yield `"}`;
      })();
      const res = await request(`${running.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        body: Readable.from(chunks),
      });
      expect([path, res.statusCode]).toEqual([path, 413]);
      await res.body.dump();
    }
    expectRefusalLogged(413);
    expect(await state()).toBe(before);
  });

  it('refuses JSON nested a hundred thousand deep with 400, and keeps serving', async () => {
    const before = await state();
    for (const raw of [`{"call":${'['.repeat(100_000)}${']'.repeat(100_000)},"firstProvider":"term"}`, `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`]) {
      const res = await call('POST', '/v1/tracebacks', { token: requester, raw });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/^(body is not valid JSON|call: |\(body\): )/);
    }
    expectRefusalLogged(400);
    expect(await state()).toBe(before);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it.each([
    ['an array', [CALL], '', /expected object/i],
    ['null', null, '', /expected object/i],
    ['a number', 42, '', /expected object/i],
    ['a call that is a string', { call: 'a call', firstProvider: 'term' }, 'call', /expected object/i],
    ['a time that is a number', { call: { ...CALL, at: 1_764_331_200 }, firstProvider: 'term' }, 'call.at', /./],
    ['a provider list', { call: CALL, firstProvider: ['term', 'other'] }, 'firstProvider', /expected string/i],
    ['a window as text', { call: CALL, firstProvider: 'term', windowSec: '120' }, 'windowSec', /expected number/i],
    ['a called number list (fishing)', { call: { ...CALL, called: ['+12025550143', '+12025550144'] }, firstProvider: 'term' }, 'call.called', /expected string/i],
    ['a called prefix (fishing)', { call: { ...CALL, called: '+1202555*' }, firstProvider: 'term' }, 'call.called', /E\.164/],
    ['a window of ten days (fishing)', { call: CALL, firstProvider: 'term', windowSec: 864_000 }, 'windowSec', /./],
  ] as const)('refuses a traceback with %s: 400 naming the field, nothing started', async (_what, body, path, reason) => {
    const before = await state();
    const res = await call('POST', '/v1/tracebacks', { token: requester, body });
    expect(res.status).toBe(400);
    expect(res.body.path ?? '').toBe(path);
    expect(res.body.error).toMatch(reason);
    expect(await state()).toBe(before);
    expectRefusalLogged(400);
  });

  it('ignores fields a requester may not set: the hub names the requester, the id and the state, and no prototype is polluted', async () => {
    const raw = JSON.stringify({ call: CALL, firstProvider: 'term', id: 'chosen-id', requester: 'admin', status: 'originated', hops: [], campaign: 'c-unknown-fields' }).replace(/}$/, ',"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    const res = await call('POST', '/v1/tracebacks', { token: requester, raw });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe('chosen-id');
    expect([res.body.requester, res.body.status, res.body.hops.length]).toEqual(['requester', 'open', 1]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await call('POST', `/v1/tracebacks/${res.body.id}/cancel`, { token: requester, body: {} })).status).toBe(200);
  });
});

describe('hostile agents', () => {
  it('refuses a forged answer (wrong key, alg none, a changed body) with 401 and its code, changing nothing', async () => {
    const before = await state();
    const genuine = signedAnswer(answer({ queryId: await openQuery(caseA), tracebackId: caseA }));
    const [h, p, s] = genuine.split('.') as [string, string, string];
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: termKey.kid, typ: 'hoptrace+jws' })).toString('base64url')}.${p}.`;
    const body = JSON.parse(Buffer.from(p, 'base64url').toString()) as { body: HopAnswer };
    body.body.result = 'foreign';
    const changed = `${h}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${s}`;
    const forgeries: [string, string][] = [
      [signedAnswer(answer({ queryId: await openQuery(caseA), tracebackId: caseA }), generateKeyPair(termKey.kid)), 'bad-signature'],
      [none, 'bad-alg'],
      [changed, 'bad-signature'],
      [signedAnswer(answer({ queryId: await openQuery(caseA), tracebackId: caseA }), generateKeyPair('unregistered')), 'unknown-key'],
    ];
    for (const [jws, code] of forgeries) {
      const res = await call('POST', '/v1/agent/answers', { body: { jws } });
      expect([res.status, res.body.code]).toEqual([401, code]);
    }
    expectRefusalLogged(401);
    expect(await state()).toBe(before);
  });

  it('refuses an answer signed more than five minutes ago as expired, and one from the future', async () => {
    const before = await state();
    const a = answer({ queryId: await openQuery(caseA), tracebackId: caseA });
    for (const [offsetMs, code] of [[-10 * 60_000, 'expired'], [10 * 60_000, 'not-yet-valid']] as const) {
      const res = await call('POST', '/v1/agent/answers', { body: { jws: signedAnswer(a, termKey, 'term', Date.now() + offsetMs) } });
      expect([res.status, res.body.code]).toEqual([401, code]);
    }
    const stalePoll = sign({}, { iss: 'term', aud: 'hub', typ: 'poll', key: termKey, now: Date.now() - 10 * 60_000 });
    expect((await call('GET', '/v1/agent/queries', { headers: { authorization: `Hoptrace ${stalePoll}` } })).body.code).toBe('expired');
    expect(await state()).toBe(before);
  });

  it("refuses an agent answering a query of another case, or another provider's query, changing nothing", async () => {
    const before = await state();
    // term's open query, but named as belonging to case B (which asked other).
    const crossCase = await call('POST', '/v1/agent/answers', { body: { jws: signedAnswer(answer({ queryId: await openQuery(caseA), tracebackId: caseB })) } });
    expect(crossCase).toMatchObject({ status: 409, body: { error: `case ${caseB}: answer to ${await openQuery(caseA)} is not for the open attempt` } });
    // other, genuinely signed, answering the query asked of term in case A as itself.
    const othersQuery = await call('POST', '/v1/agent/answers', { body: { jws: signedAnswer(answer({ queryId: await openQuery(caseA), tracebackId: caseA, provider: 'other' }), otherKey, 'other') } });
    expect(othersQuery).toMatchObject({ status: 409, body: { error: `case ${caseA}: answer from other, but term was asked` } });
    // other speaking for term.
    const impostor = await call('POST', '/v1/agent/answers', { body: { jws: signedAnswer(answer({ queryId: await openQuery(caseA), tracebackId: caseA }), otherKey, 'other') } });
    expect(impostor).toMatchObject({ status: 403, body: { error: 'answer for term signed by other' } });
    // A query id no case waits for.
    const unknown = await call('POST', '/v1/agent/answers', { body: { jws: signedAnswer(answer({ queryId: 'q-invented', tracebackId: caseA })) } });
    expect(unknown).toMatchObject({ status: 409, body: { error: `case ${caseA}: answer to q-invented is not for the open attempt` } });
    expectRefusalLogged(409);
    expect(await state()).toBe(before);
  });

  it("gives an agent's poll only the queries addressed to it, never another provider's", async () => {
    const pollAs = (iss: string, key: KeyPair) => call('GET', '/v1/agent/queries?wait=0', { headers: { authorization: `Hoptrace ${sign({}, { iss, aud: 'hub', typ: 'poll', key })}` } });
    const res = await pollAs('other', otherKey);
    expect(res.status).toBe(200);
    const seen = (res.body.queries as string[]).map((jws) => decode(jws)).map((v) => [v.claims.aud, (v.body as HopQuery).tracebackId]);
    expect(seen).toEqual([['other', caseB]]);
    // term's query of case A is still waiting for term: the other provider's poll did not take it.
    const term = (await pollAs('term', termKey)).body.queries as string[];
    expect(term.map((jws) => decode(jws).claims.aud)).toEqual(term.map(() => 'term'));
    expect(term.map((jws) => (decode(jws).body as HopQuery).tracebackId)).toContain(caseA);
    expect(term.map((jws) => (decode(jws).body as HopQuery).tracebackId)).not.toContain(caseB);
  });

  it('applies an answer once and refuses its replay with 401 replayed, the case as the first left it', async () => {
    const jws = signedAnswer(answer({ queryId: await openQuery(caseA), tracebackId: caseA }));
    const first = await call('POST', '/v1/agent/answers', { body: { jws } });
    expect([first.status, first.body.status]).toEqual([202, 'originated']);
    const after = await state();
    const replay = await call('POST', '/v1/agent/answers', { body: { jws } });
    expect([replay.status, replay.body.code]).toEqual([401, 'replayed']);
    expect(await state()).toBe(after);
  });
});

describe("fishing at an agent's query endpoint (push mode)", () => {
  const hubKey = generateKeyPair('hub');
  let server: http.Server;
  let url: string;
  const handled: HopQuery[] = [];

  beforeAll(async () => {
    const link = new HubLink({
      hubUrl: 'http://127.0.0.1:9', // answers are not posted in this test: the handler throws before
      hubId: 'hub',
      hubKeys: [hubKey.publicKey],
      provider: 'carrier-b',
      key: generateKeyPair(),
      log: pino({ level: 'silent' }),
      handle: async (q) => {
        handled.push(q);
        throw new Error('not answering in this test');
      },
    });
    const push = new PushEndpoint(link, pino({ level: 'silent' }));
    server = http.createServer((req, res) => void push.route(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/queries`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const query = (call: Record<string, unknown>) => ({ queryId: 'q-fish', tracebackId: 'case-fish', call, askedBy: null, deadline: new Date(Date.now() + 60_000).toISOString() });
  const push = async (q: unknown, key = hubKey) => {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ queries: [sign(q, { iss: 'hub', aud: 'carrier-b', typ: 'hop-query', key })] }) });
    return { status: res.statusCode, body: (await res.body.json()) as { accepted: number; refused: { reason: string }[] } };
  };

  it('refuses a signed query for many numbers, a number prefix, or a window wider than a day, and searches nothing', async () => {
    for (const fishing of [
      { ...CALL, called: ['+12025550143', '+12025550144', '+12025550145'] },
      { ...CALL, called: '+1202555*' },
      { ...CALL, windowSec: 30 * 86_400 },
      { ...CALL, at: undefined, windowSec: 86_400 },
    ]) {
      const res = await push(query(fishing));
      expect(res.status).toBe(401);
      expect(res.body.accepted).toBe(0);
      expect(res.body.refused[0]!.reason).toMatch(/call\.(called|windowSec|at)/);
    }
    expect(handled).toEqual([]);
  });

  it('refuses a query that its hub did not sign, and takes a proper one (the refusals above were not blanket)', async () => {
    expect((await push(query(CALL), generateKeyPair('hub'))).status).toBe(401);
    expect(handled).toEqual([]);
    expect((await push(query(CALL))).status).toBe(202);
    expect(handled.map((q) => q.call.called)).toEqual([CALL.called]);
  });
});

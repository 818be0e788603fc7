/**
 * The agents' API in bulk: a poll that says it reads `hop-queries` envelopes gets what it took signed once, an
 * older poll gets one envelope per query, and several answers travel in one POST, each applied or refused alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../../../hub/case.js';
import { decode, sign, verifyOffline } from '../../../proto/envelope.js';
import { generateKeyPair } from '../../../proto/keys.js';
import type { HopQuery } from '../../../proto/messages.js';
import { provider, scriptedAnswer, startTestHub, type TestHub } from '../harness.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };
const termKey = generateKeyPair('term-1');
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub();
  await t.hub.registry.upsert(provider('term', termKey), Date.now());
});
afterAll(() => t.stop());

const poll = (body: object) => t.http('GET', '/v1/agent/queries?wait=0', { headers: { authorization: `Hoptrace ${sign(body, { iss: 'term', aud: 'hub', typ: 'poll', key: termKey })}` } });
const start = () => Promise.all(Array.from({ length: 3 }, () => t.hub.startTraceback({ call: CALL, firstProvider: 'term' }, 'ops')));
const answer = (q: HopQuery, key = termKey) => sign(scriptedAnswer(q, 'term', { result: 'originated' }), { iss: 'term', aud: 'hub', typ: 'hop-answer', key });

describe('agents API in bulk', () => {
  it('signs the queries a batch poll took once, in one hop-queries envelope, and each alone for an older poll', async () => {
    const first = await start();
    const batched = await poll({ batch: true });
    expect(batched.status).toBe(200);
    expect(batched.body.queries).toHaveLength(1);
    const v = verifyOffline<{ queries: HopQuery[] }>(batched.body.queries[0], [t.key.publicKey]);
    expect([v.claims.typ, v.claims.aud, v.body.queries.map((q) => q.tracebackId)]).toEqual(['hop-queries', 'term', first.map((c) => c.id)]);

    const second = await start();
    const single = await poll({});
    expect(single.body.queries.map((jws: string) => [decode(jws).claims.typ, (decode(jws).body as HopQuery).tracebackId])).toEqual(second.map((c) => ['hop-query', c.id]));
  });

  it('refuses a poll whose batch flag is not a boolean, naming the field, and takes nothing', async () => {
    const [c] = await start();
    expect(await poll({ batch: 'yes' })).toMatchObject({ status: 400, body: { path: 'batch' } });
    const taken = await poll({ batch: true });
    expect((decode(taken.body.queries[0]).body as { queries: HopQuery[] }).queries.map((q) => q.tracebackId)).toContain(c!.id);
  });

  it('applies several answers of one POST, each alone, and says in order what became of each', async () => {
    const cases = await start();
    const queries = (decode((await poll({ batch: true })).body.queries[0]).body as { queries: HopQuery[] }).queries;
    const stranger = generateKeyPair('term-1');
    const res = await t.http('POST', '/v1/agent/answers', { body: { answers: [answer(queries[0]!), answer(queries[1]!, stranger), answer(queries[2]!)] } });
    expect(res).toEqual({
      status: 202,
      body: {
        results: [
          { tracebackId: cases[0]!.id, status: 'originated' },
          { refused: 401, error: 'envelope refused: bad-signature', code: 'bad-signature' },
          { tracebackId: cases[2]!.id, status: 'originated' },
        ],
      },
    });
    const stored = (await Promise.all(cases.map((c) => t.store.getCase(c.id)))) as Case[];
    expect(stored.map((c) => c.status)).toEqual(['originated', 'open', 'originated']);
  });

  it('refuses a malformed list of answers as a whole with a 400 naming what is wrong, and applies none', async () => {
    const [c] = await start();
    const queries = (decode((await poll({ batch: true })).body.queries[0]).body as { queries: HopQuery[] }).queries;
    const good = answer(queries.find((q) => q.tracebackId === c!.id)!);
    expect(await t.http('POST', '/v1/agent/answers', { body: { answers: [good, 42] } })).toEqual({ status: 400, body: { error: 'answers[1]: expected a string' } });
    expect(await t.http('POST', '/v1/agent/answers', { body: { answers: [] } })).toEqual({ status: 400, body: { error: 'answers: expected 1 to 256 signed answers' } });
    expect(await t.http('POST', '/v1/agent/answers', { body: { answers: Array(257).fill(good) } })).toMatchObject({ status: 400 });
    expect((await t.store.getCase(c!.id))?.status).toBe('open');
  });
});

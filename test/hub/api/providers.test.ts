/** The provider registry over HTTP: register, show, update, and key rotation as answers see it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../../../hub/case.js';
import { sign } from '../../../proto/envelope.js';
import { generateKeyPair, type KeyPair, publicKeyToRaw } from '../../../proto/keys.js';
import { provider, scriptedAnswer, startTestHub, type TestHub } from '../harness.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };
const T0 = Date.parse('2026-11-28T12:00:00Z');
const MIN = 60_000;
let clock = T0;
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({ now: () => clock, engine: { agentDeadlineMs: 24 * 3_600_000 } });
});
afterAll(() => t.stop());

describe('providers API', () => {
  it('registers, shows and updates a provider: given fields replace, null removes, the rest stays', async () => {
    const key = generateKeyPair();
    const added = await t.api().addProvider(provider('upd-co', key, { reach: 'agent-push', pushUrl: 'https://agent.upd.example/v1/queries', contact: { email: 'noc@upd.example' } }));
    expect(await t.api('reader').getProvider('upd-co')).toEqual(added);
    clock += MIN;
    const updated = await t.api().updateProvider('upd-co', { name: 'Upd Communications', reach: 'agent-pull', pushUrl: null, foreign: true, gateway: true, spc: '123U', contact: { phone: '+12025550100' } });
    expect(updated).toEqual({
      ...added,
      name: 'Upd Communications',
      reach: 'agent-pull',
      pushUrl: undefined,
      foreign: true,
      gateway: true,
      spc: '123U',
      contact: { phone: '+12025550100' },
      updatedAt: T0 + MIN,
    });
    expect('pushUrl' in (await t.api().getProvider('upd-co'))).toBe(false);
    expect(updated.createdAt).toBe(added.createdAt);
  });

  it('confirms a provisional provider when an admin updates it', async () => {
    await t.store.putProvider({ id: 'prov-co', name: 'Prov Co', country: 'US', foreign: false, gateway: false, reach: 'manual', keys: [], createdAt: T0, updatedAt: T0, provisional: { caseId: 'c', namedBy: 'x', answeredBy: 'Pat' } });
    const confirmed = await t.api().updateProvider('prov-co', { contact: { email: 'noc@prov.example' } });
    expect(confirmed.provisional).toBeUndefined();
  });

  describe('key rotation', () => {
    let oldKey: KeyPair;
    let newKey: KeyPair;

    /** Start a traceback at rot-co and answer it with `key`, signed at the hub's current time. */
    async function answerWith(key: KeyPair): Promise<{ status: number; body: any; c: Case }> {
      const c = await t.api('requester').startTraceback({ call: CALL, firstProvider: 'rot-co' });
      const q = { queryId: c.hops[0]!.attempts[0]!.queryId, tracebackId: c.id, call: { ...CALL, windowSec: 120 }, askedBy: null, deadline: CALL.at };
      const jws = sign(scriptedAnswer(q, 'rot-co', { result: 'originated' }), { iss: 'rot-co', aud: 'hub', typ: 'hop-answer', key, now: clock });
      return { ...(await t.http('POST', '/v1/agent/answers', { body: { jws } })), c };
    }

    beforeAll(async () => {
      oldKey = generateKeyPair('k-2025');
      newKey = generateKeyPair('k-2026');
      await t.api().addProvider(provider('rot-co', oldKey));
    });

    it('accepts answers signed by the old and the new key during the overlap, then only the new one', async () => {
      const rotated = await t.api().rotateKey('rot-co', { kid: newKey.kid, publicKey: publicKeyToRaw(newKey.publicKey), overlapHours: 1 });
      expect(rotated.keys).toEqual([
        { kid: 'k-2025', publicKey: publicKeyToRaw(oldKey.publicKey), notAfter: new Date(clock + 60 * MIN).toISOString() },
        { kid: 'k-2026', publicKey: publicKeyToRaw(newKey.publicKey), notBefore: new Date(clock).toISOString() },
      ]);

      clock += 30 * MIN;
      const old = await answerWith(oldKey);
      expect(old.status).toBe(202);
      expect((await t.api().getTraceback(old.c.id)).hops[0]?.answerKeys).toEqual([rotated.keys[0]]);
      expect((await answerWith(newKey)).status).toBe(202);

      clock += 31 * MIN;
      const late = await answerWith(oldKey);
      expect([late.status, late.body.code]).toEqual([401, 'unknown-key']);
      expect((await t.api().getTraceback(late.c.id)).status).toBe('open');
      const fresh = await answerWith(newKey);
      expect((await t.api().getTraceback(fresh.c.id)).hops[0]?.answerKeys?.map((k) => k.kid)).toEqual(['k-2026']);
    });

    it('refuses to register the same kid twice, changing nothing', async () => {
      const before = await t.api().getProvider('rot-co');
      const res = await t.http('POST', '/v1/providers/rot-co/keys', { token: t.tokens.admin, body: { kid: 'k-2026', publicKey: publicKeyToRaw(generateKeyPair().publicKey) } });
      expect(res).toEqual({ status: 409, body: { error: 'provider rot-co: kid k-2026 is already registered' } });
      expect(await t.api().getProvider('rot-co')).toEqual(before);
    });
  });
});

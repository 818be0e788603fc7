/**
 * Deliveries survive a hub restart: the hub process is killed (SIGKILL) while a referral waits to be retried,
 * and a new hub process on the same Redis delivers it, with the same idempotency key and bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken } from '../../../hub/auth.js';
import { HubClient } from '../../../hub/client.js';
import { RedisNotifyStore } from '../../../hub/notify/redis-store.js';
import { generateKeyPair, publicKeyToRaw } from '../../../proto/keys.js';
import { runCli } from '../../helpers/proc.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { provider, startScriptedAgent } from '../harness.js';
import { writeHubConfig } from '../hub-config.js';
import { startReceiver } from './receiver.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

describe('deliveries across a hub restart', () => {
  it('resumes a pending delivery after the hub process is killed', async () => {
    const hubKey = generateKeyPair('hub-r');
    const termKey = generateKeyPair();
    const token = newToken();
    const { config, url } = await writeHubConfig({
      hubKey,
      token,
      redisUrl: redis.url,
      providers: [provider('term', termKey)],
      // Long enough between attempts that the kill lands while the referral waits for its retry.
      settings: { notify: { maxAttempts: 10, backoffSec: 2, jitter: 0, timeoutSec: 2 }, log: { level: 'info' } },
    });
    let up = false;
    const rx = await startReceiver({ subscriber: 'fbi', hubKey: publicKeyToRaw(hubKey.publicKey), answer: () => (up ? 200 : 503) });
    const api = new HubClient(url, token);
    const first = runCli('hub/cli.ts', ['serve', '--config', config]);
    const agent = startScriptedAgent({ url, key: hubKey }, 'term', () => ({ result: 'originated' }), termKey);
    let second: ReturnType<typeof runCli> | undefined;
    try {
      await first.waitFor(/hub listening/, 30_000);
      await api.notify().addSubscriber({ id: 'fbi', name: 'FBI', kind: 'agency', url: rx.url, receives: { referrals: {} } });
      const c = await api.startTraceback({ call: { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' }, firstProvider: 'term' });
      expect((await api.waitForEnd(c.id, 15_000)).status).toBe('originated');
      const [failedOnce] = await rx.waitFor(1);
      expect(failedOnce!.status).toBe(503);
      // Killed once the failure is stored: the delivery waits for its retry.
      await first.waitFor(/notification delivery failed; will retry/, 10_000);
      expect(await first.kill('SIGKILL')).toBe(null);

      const store = new RedisNotifyStore({ url: redis.url });
      const [waiting] = await store.listDeliveries({ limit: 10 });
      await store.close();
      expect(waiting).toMatchObject({ state: 'pending', attempts: 1, lastError: expect.stringMatching(/503/), id: failedOnce!.doc.idempotencyKey });

      up = true;
      second = runCli('hub/cli.ts', ['serve', '--config', config]);
      await second.waitFor(/hub listening/, 30_000);
      const got = await rx.waitFor(2, () => true, 15_000);
      expect(got[1]).toMatchObject({ status: 200, raw: failedOnce!.raw });
      expect(got[1]!.headers['idempotency-key']).toBe(failedOnce!.doc.idempotencyKey);
      expect(got[1]!.check.ok).toBe(true);
      await second.waitFor(/notification delivered/, 5000);
      expect((await api.notify().delivery(waiting!.id))).toMatchObject({ state: 'delivered', attempts: 2 });
    } finally {
      await agent.stop();
      await api.close();
      await first.kill('SIGKILL');
      await second?.kill();
      await rx.close();
    }
  }, 90_000);
});

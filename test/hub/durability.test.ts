/**
 * Nothing is lost (DESIGN §8), with a real Redis:
 * - the hub process is killed (SIGKILL) with cases open at every stage; a new process on the same Redis resumes
 *   every one of them with its deadlines, and each ends as it should;
 * - a hub that dies between storing a transition and sending its query loses nothing: the deadline sends again;
 * - two hub instances share one Redis: an agent polls one and answers the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken } from '../../hub/auth.js';
import { HubClient } from '../../hub/client.js';
import { defaultEngineConfig } from '../../hub/engine.js';
import { Hub } from '../../hub/hub.js';
import { listenHub } from '../../hub/server.js';
import { RedisHubStore } from '../../hub/store/redis-store.js';
import type { HubStore } from '../../hub/store/store.js';
import { generateKeyPair, type KeyPair } from '../../proto/keys.js';
import { runCli } from '../helpers/proc.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { provider, type ScriptedAgent, silent, startScriptedAgent } from './harness.js';
import { writeHubConfig } from './hub-config.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };
let redis: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

async function eventually<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, withinMs = 30_000): Promise<T> {
  const until = Date.now() + withinMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${withinMs} ms; last: ${JSON.stringify(v).slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('hub durability on Redis', () => {
  it('resumes every open case after the hub process is killed, each with its deadline, and ends each correctly', async () => {
    const hubKey = generateKeyPair('hub-1');
    const keys = Object.fromEntries(['term', 'mid', 'orig', 'mute'].map((id) => [id, generateKeyPair()])) as Record<string, KeyPair>;
    const token = newToken();
    const { config, url } = await writeHubConfig({
      hubKey,
      token,
      redisUrl: redis.url,
      providers: Object.entries(keys).map(([id, k]) => provider(id, k)),
      settings: { id: 'hub', deadlines: { agentSec: 3, agentRetries: 1 } },
    });
    const api = new HubClient(url, token);
    const t = { url, key: hubKey };
    const agents: ScriptedAgent[] = [];
    const first = runCli('hub/cli.ts', ['serve', '--config', config]);
    try {
      await first.waitFor(/hub listening/, 30_000);
      agents.push(startScriptedAgent(t, 'term', () => ({ result: 'upstream', upstream: 'mid' }), keys.term));
      // A: answered by term, now waiting for mid; B: waiting for mute, which never answers; C: waiting for mid.
      const a = await api.startTraceback({ call: CALL, firstProvider: 'term' });
      const b = await api.startTraceback({ call: CALL, firstProvider: 'mute' });
      const c = await api.startTraceback({ call: CALL, firstProvider: 'mid' });
      await eventually('A reaches mid', () => api.getTraceback(a.id), (k) => k.hops.length === 2);

      expect(await first.kill('SIGKILL')).toBeNull();
      const second = runCli('hub/cli.ts', ['serve', '--config', config]);
      try {
        const resumed = JSON.parse(await second.waitFor(/resumed open cases/, 30_000)) as { open: number };
        expect(resumed.open).toBe(3);
        await second.waitFor(/hub listening/, 30_000);
        agents.push(startScriptedAgent(t, 'mid', () => ({ result: 'upstream', upstream: 'orig' }), keys.mid));
        agents.push(startScriptedAgent(t, 'orig', () => ({ result: 'originated' }), keys.orig));

        const ended = await Promise.all([a, b, c].map((k) => eventually(`case ${k.id} ends`, () => api.getTraceback(k.id), (x) => x.status !== 'open')));
        const [doneA, doneB, doneC] = ended;
        expect(doneA!.hops.map((h) => [h.provider, h.answer?.result])).toEqual([
          ['term', 'upstream'],
          ['mid', 'upstream'],
          ['orig', 'originated'],
        ]);
        expect([doneA!.status, doneC!.status, doneC!.originator]).toEqual(['originated', 'originated', 'orig']);
        // B's deadlines ran across the restart: two attempts, each timed out, the second with the doubled deadline.
        expect(doneB!.status).toBe('non_responsive');
        expect(doneB!.hops[0]!.attempts.map((x) => [x.timedOut, x.deadline - x.sentAt])).toEqual([
          [true, 3000],
          [true, 6000],
        ]);
        // The log line may still be in the pipe when the API already shows the end: wait for it.
        await expect(second.waitFor(new RegExp(`(?=.*"msg":"traceback ended")(?=.*${b.id})`), 10_000)).resolves.toContain(b.id);
      } finally {
        await second.kill();
      }
    } finally {
      await Promise.all(agents.map((x) => x.stop()));
      await first.kill('SIGKILL');
    }
  }, 120_000);

  /** A hub on its own key prefix of the shared Redis, with its API on a socket. */
  async function hubOn(store: HubStore, key: KeyPair, tickMs = 50) {
    const hub = new Hub({ id: 'hub', key, store, log: silent, tickMs, engine: { ...defaultEngineConfig, agentDeadlineMs: 2000, agentRetries: 1 } });
    await hub.start();
    const http = await listenHub(hub, { host: '127.0.0.1', port: 0, now: Date.now });
    return { hub, url: http.url, stop: async () => (await http.close(), await hub.stop()) };
  }

  it('loses nothing when the hub dies after storing a transition but before sending its query', async () => {
    const keyPrefix = `ht:durable${++prefixes}:`;
    const hubKey = generateKeyPair('hub-1');
    const termKey = generateKeyPair();
    const store = new RedisHubStore({ url: redis.url, keyPrefix });
    // The first hub "dies" at its first enqueue: the case and its deadline are stored, the query never leaves.
    const crashing = Object.create(store, { enqueue: { value: async () => Promise.reject(new Error('process died')) } }) as HubStore;
    const doomed = new Hub({ id: 'hub', key: hubKey, store: crashing, log: silent, engine: { ...defaultEngineConfig, agentDeadlineMs: 1500 } });
    await doomed.registry.upsert(provider('term', termKey), Date.now());
    await expect(doomed.startTraceback({ call: CALL, firstProvider: 'term' }, 'ops')).rejects.toThrow('process died');
    const [open] = await store.openCaseIds();
    expect(await store.take('term', 10)).toEqual([]);

    const fresh = new RedisHubStore({ url: redis.url, keyPrefix });
    const h = await hubOn(fresh, hubKey);
    const agent = startScriptedAgent({ url: h.url, key: hubKey }, 'term', () => ({ result: 'originated' }), termKey);
    try {
      const done = await eventually('the case ends', () => fresh.getCase(open!), (k) => k?.status !== 'open');
      expect(done!.status).toBe('originated');
      expect(done!.hops[0]!.attempts.map((x) => x.timedOut ?? false)).toEqual([true, false]);
      expect(agent.asked.map((q) => q.queryId)).toEqual([done!.hops[0]!.attempts[1]!.queryId]);
    } finally {
      await agent.stop();
      await h.stop();
      await Promise.all([store.close(), fresh.close()]);
    }
  }, 60_000);

  it('shares the work between two hub instances: an agent polls one and answers the other', async () => {
    const keyPrefix = `ht:durable${++prefixes}:`;
    const hubKey = generateKeyPair('hub-1');
    const [s1, s2] = [new RedisHubStore({ url: redis.url, keyPrefix }), new RedisHubStore({ url: redis.url, keyPrefix })];
    const [h1, h2] = [await hubOn(s1, hubKey), await hubOn(s2, hubKey)];
    const keys = { term: generateKeyPair(), orig: generateKeyPair() };
    for (const [id, k] of Object.entries(keys)) await h1.hub.registry.upsert(provider(id, k), Date.now());
    // Each agent polls one instance; answers go to the instance it polls, which is not the one that sent.
    const agents = [
      startScriptedAgent({ url: h2.url, key: hubKey }, 'term', () => ({ result: 'upstream', upstream: 'orig' }), keys.term),
      startScriptedAgent({ url: h1.url, key: hubKey }, 'orig', () => ({ result: 'originated' }), keys.orig),
    ];
    try {
      const started = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? h1 : h2).hub.startTraceback({ call: CALL, firstProvider: 'term' }, 'ops')));
      const done = await Promise.all(started.map((k) => eventually('ends', () => s1.getCase(k.id), (x) => x?.status !== 'open')));
      expect(done.map((k) => [k!.status, k!.hops.map((h) => h.provider)])).toEqual(started.map(() => ['originated', ['term', 'orig']]));
      // Every query either instance sent reached its agent once (retries, on a busy machine, are further queries).
      const sent = done.flatMap((k) => k!.hops.flatMap((h) => h.attempts.map((a) => a.queryId)));
      const asked = agents.flatMap((a) => a.asked.map((q) => q.queryId));
      expect(asked.sort()).toEqual(sent.sort());
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await Promise.all([h1.stop(), h2.stop()]);
      await Promise.all([s1.close(), s2.close()]);
    }
  }, 60_000);
});

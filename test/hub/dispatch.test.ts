/**
 * Dispatch by push: the hub POSTs each signed query to the agent's push URL (agent/link/push.ts on the agent's
 * real HTTP server); the agent answers as a pulled one does. A push that fails is left to the hop's deadline.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentHttp } from '../../agent/http.js';
import { PushEndpoint } from '../../agent/link/push.js';
import { generateKeyPair } from '../../proto/keys.js';
import type { HopQuery } from '../../proto/messages.js';
import { freePort } from '../helpers/redis.js';
import { provider, type Script, scriptedLink, silent, startScriptedAgent, startTestHub, type TestHub } from './harness.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };
let t: TestHub;
const stops: (() => Promise<void>)[] = [];

/** An agent in push mode: its HTTP server with the push route; returns its push URL and what it was asked. */
async function pushAgent(id: string, script: Script): Promise<{ url: string; asked: HopQuery[] }> {
  const key = generateKeyPair();
  const asked: HopQuery[] = [];
  const link = scriptedLink(t, id, key, script, asked);
  const push = new PushEndpoint(link, silent);
  const http = await startAgentHttp({ host: '127.0.0.1', port: 0, metrics: new Registry(), ready: [], routes: [push.route] });
  const url = `http://127.0.0.1:${http.port}/v1/queries`;
  await t.api().addProvider(provider(id, key, { reach: 'agent-push', pushUrl: url }));
  stops.push(async () => {
    await http.close();
    await push.stop();
    await link.close();
  });
  return { url, asked };
}

beforeAll(async () => {
  t = await startTestHub({ engine: { agentDeadlineMs: 400, agentRetries: 1 } });
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await t.stop();
});

describe('push dispatch', () => {
  it('traces through push-mode and pull-mode agents alike, queueing nothing for a push-mode provider', async () => {
    const term = await pushAgent('p-term', () => ({ result: 'upstream', upstream: 'p-pull' }));
    const key = generateKeyPair();
    await t.api().addProvider(provider('p-pull', key));
    const pull = startScriptedAgent(t, 'p-pull', () => ({ result: 'upstream', upstream: 'p-orig' }), key);
    stops.push(() => pull.stop());
    const orig = await pushAgent('p-orig', () => ({ result: 'originated' }));

    const started = await t.api('requester').startTraceback({ call: CALL, firstProvider: 'p-term' });
    const done = await t.api('requester').waitForEnd(started.id, 10_000, 20);
    expect([done.status, done.originator]).toEqual(['originated', 'p-orig']);
    expect(done.hops.map((h) => [h.provider, h.answer?.result])).toEqual([
      ['p-term', 'upstream'],
      ['p-pull', 'upstream'],
      ['p-orig', 'originated'],
    ]);
    // Each answer is to the query its agent was pushed (a busy machine may have needed a retry).
    for (const [i, a] of [term, pull, orig].entries()) expect(a.asked.map((q) => q.queryId)).toContain(done.hops[i]!.answer!.queryId);
    expect(orig.asked[0]?.askedBy).toBe('p-pull');
    expect(await t.store.take('p-term', 10)).toEqual([]);
  });

  it('leaves a failed push to the deadline: retried with backoff, then non_responsive', async () => {
    const port = await freePort();
    await t.api().addProvider(provider('p-down', generateKeyPair(), { reach: 'agent-push', pushUrl: `http://127.0.0.1:${port}/v1/queries` }));
    const started = await t.api('requester').startTraceback({ call: CALL, firstProvider: 'p-down' });
    const done = await t.api('requester').waitForEnd(started.id, 10_000, 20);
    expect(done.status).toBe('non_responsive');
    expect(done.hops[0]?.attempts.map((a) => [a.timedOut, a.deadline - a.sentAt])).toEqual([
      [true, 400],
      [true, 800],
    ]);
    expect(await t.store.take('p-down', 10)).toEqual([]);
  });
});

/**
 * The hub's /metrics (hub/metrics.ts, hub/api/metrics.ts): requests counted by route pattern, never by raw
 * path; open tracebacks, providers and store health read from the store when scraped.
 */
import pino from 'pino';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { hubApp } from '../../hub/api/app.js';
import { hashToken, newToken } from '../../hub/auth.js';
import { defaultEngineConfig } from '../../hub/engine.js';
import { Hub } from '../../hub/hub.js';
import { transitions } from '../../hub/metrics.js';
import { MemoryHubStore } from '../../hub/store/memory-store.js';
import { generateKeyPair } from '../../proto/keys.js';
import { provider, startScriptedAgent, startTestHub } from './harness.js';
import { tracedCase } from './traced-case.js';

const store = new MemoryHubStore();
const hub = new Hub({ id: 'hub', key: generateKeyPair(), store, log: pino({ level: 'silent' }), engine: defaultEngineConfig });
const app = hubApp({ hub, now: Date.now });
const token = newToken();
const auth = { authorization: `Bearer ${token}` };
afterAll(async () => {
  await hub.stop();
  await store.close();
});

async function scrape(): Promise<string> {
  const res = await app.request('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

describe('hub /metrics', () => {
  it('counts requests by route pattern and status, not by the ids in the path', async () => {
    await store.putToken(hashToken(token), { id: 'ops', roles: ['admin'], createdAt: Date.now() });
    for (const id of ['a1', 'b2', 'c3']) expect((await app.request(`/v1/tracebacks/${id}`, { headers: auth })).status).toBe(404);
    await app.request('/healthz');
    await app.request('/no/such/thing');
    const text = await scrape();
    expect(text).toContain('hoptrace_hub_http_requests_total{method="GET",route="/v1/tracebacks/:id",status="404"} 3');
    expect(text).toContain('hoptrace_hub_http_requests_total{method="GET",route="/healthz",status="200"} 1');
    expect(text).toContain('hoptrace_hub_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).not.toMatch(/route="[^"]*(a1|b2|c3)/);
    expect(text).toMatch(/hoptrace_hub_http_request_duration_seconds_count\{method="GET",route="\/v1\/tracebacks\/:id"\} 3/);
  });

  it('reports open tracebacks, providers by reach and the store as up', async () => {
    await hub.registry.upsert({ id: 'term', name: 'Terminating', reach: 'agent-pull' }, Date.now());
    await hub.registry.upsert({ id: 'person', name: 'By hand', reach: 'manual' }, Date.now());
    const started = await app.request('/v1/tracebacks', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ call: { calling: '+13125550117', called: '+12025550143', at: new Date().toISOString() }, firstProvider: 'term' }),
    });
    expect(started.status).toBe(201);
    const text = await scrape();
    expect(text).toContain('hoptrace_hub_open_tracebacks 1');
    expect(text).toContain('hoptrace_hub_providers{reach="agent-pull"} 1');
    expect(text).toContain('hoptrace_hub_providers{reach="manual"} 1');
    expect(text).toContain('hoptrace_hub_store_up 1');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('reports the store as down when it stops answering', async () => {
    const down = new MemoryHubStore();
    const h = new Hub({ id: 'hub', key: generateKeyPair(), store: down, log: pino({ level: 'silent' }), engine: defaultEngineConfig });
    down.ping = async () => false;
    down.openCaseIds = async () => [];
    const text = await (await hubApp({ hub: h, now: Date.now }).request('/metrics')).text();
    expect(text).toContain('hoptrace_hub_store_up 0');
    await down.close();
  });
});

describe('hub /metrics after tracebacks', () => {
  it('counts tracebacks by outcome, times the answered hops, and shows the manual hops waiting', async () => {
    // Deadlines long enough that a loaded machine does not turn a slow answer into a retry.
    const t = await startTestHub({ engine: { agentDeadlineMs: 5_000 } });
    const term = startScriptedAgent(t, 'm-term', () => ({ result: 'upstream', upstream: 'm-orig' }));
    const orig = startScriptedAgent(t, 'm-orig', () => ({ result: 'originated' }));
    try {
      for (const a of [term, orig]) await t.api().addProvider(provider(a.id, a.key));
      await t.api().addProvider(provider('m-person', undefined, { reach: 'manual' }));
      const call = { calling: '+13125550117', called: '+12025550143', at: new Date().toISOString() };
      const traced = await t.api().startTraceback({ call, firstProvider: 'm-term' });
      expect((await t.api().waitForEnd(traced.id, 10_000)).status).toBe('originated');
      expect((await t.api().startTraceback({ call, firstProvider: 'm-person' })).status).toBe('open');

      const res = await request(`${t.url}/metrics`);
      const text = await res.body.text();
      expect(text).toContain('hoptrace_hub_tracebacks_ended_total{outcome="originated"} 1');
      expect(text).toContain('hoptrace_hub_hop_answer_seconds_count{mode="agent"} 2');
      // Both agent hops answered over loopback in seconds at most, not in a person's hours.
      expect(text).toContain('hoptrace_hub_hop_answer_seconds_bucket{le="10",mode="agent"} 2');
      expect(text).toContain('hoptrace_hub_manual_hops_pending 1');
      expect(text).toContain('hoptrace_hub_open_tracebacks 1');
      expect(text).not.toMatch(/hoptrace_hub_hop_answer_seconds_count\{mode="manual"\}/);
    } finally {
      await Promise.all([term.stop(), orig.stop()]);
      await t.stop();
    }
  }, 30_000);

  it('counts an outcome once, when the case reaches it, and a hop once, when it is answered', () => {
    const open = tracedCase({ id: 'c', chain: ['a', 'b'], status: 'open', createdAt: '2026-11-28T12:00:00Z' });
    open.hops[1]!.state = 'pending';
    const done = tracedCase({ id: 'c', chain: ['a', 'b'], status: 'originated', createdAt: '2026-11-28T12:00:00Z', tookMs: 40 });
    for (const h of done.hops) h.answeredAt = h.attempts[0]!.sentAt + 40;
    for (const h of open.hops) if (h.state === 'answered') h.answeredAt = h.attempts[0]!.sentAt + 40;
    expect(transitions(open, done)).toEqual({ ended: 'originated', answered: [{ mode: 'agent', seconds: 0.04 }] });
    expect(transitions(done, done)).toEqual({ answered: [] });
  });
});

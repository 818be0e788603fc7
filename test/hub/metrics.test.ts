/**
 * The hub's /metrics (hub/metrics.ts, hub/api/metrics.ts): requests counted by route pattern, never by raw
 * path; open tracebacks, providers and store health read from the store when scraped.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { hubApp } from '../../hub/api/app.js';
import { hashToken, newToken } from '../../hub/auth.js';
import { defaultEngineConfig } from '../../hub/engine.js';
import { Hub } from '../../hub/hub.js';
import { MemoryHubStore } from '../../hub/store/memory-store.js';
import { generateKeyPair } from '../../proto/keys.js';

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

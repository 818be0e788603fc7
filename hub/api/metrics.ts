/**
 * GET /metrics: the hub's Prometheus metrics (hub/metrics.ts), and the step that counts every request. Counts
 * only, no call data, so it takes no token, like the agent's; expose it to the monitoring network only (the
 * README's operations guide says how).
 */
import type { Hono } from 'hono';
import { hubMetrics } from '../metrics.js';
import type { ApiDeps, HubEnv } from './context.js';

/** Adds the counting step and the endpoint: call it before the routers, so it sees every request. */
export function instrument(app: Hono<HubEnv>, { hub }: ApiDeps): void {
  const m = hubMetrics(hub);
  app.use('*', m.observe);
  app.get('/metrics', async (c) => c.body(await m.registry.metrics(), 200, { 'content-type': m.registry.contentType }));
}

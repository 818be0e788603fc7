/**
 * GET /metrics: the hub's Prometheus metrics (hub/metrics.ts), and the step that counts every request. Counts
 * only, no call data, so it takes no token, like the agent's; expose it to the monitoring network only (the
 * README's operations guide says how).
 */
import type { Hono } from 'hono';
import { dnoListMetrics } from '../dno/metrics.js';
import { hubMetrics } from '../metrics.js';
import { notifyMetrics } from '../notify/metrics.js';
import type { ApiDeps, HubEnv } from './context.js';

/** Adds the counting step and the endpoint: call it before the routers, so it sees every request. */
export function instrument(app: Hono<HubEnv>, { hub, dno, notifier }: ApiDeps): void {
  const m = hubMetrics(hub);
  if (dno) dnoListMetrics(m.registry, dno.service);
  if (notifier) notifyMetrics(m.registry, notifier);
  app.use('*', m.observe);
  app.get('/metrics', async (c) => c.body(await m.registry.metrics(), 200, { 'content-type': m.registry.contentType }));
}

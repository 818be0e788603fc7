/**
 * The hub's Prometheus metrics: HTTP requests by route pattern (never by raw path: ids would make a series per
 * case), and, read from the store when scraped, the open tracebacks, the registered providers and whether the
 * store answers. One registry per hub app, so several hubs in one process (tests, the demo) keep apart.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Hub } from './hub.js';

export interface HubMetrics {
  registry: Registry;
  /** Counts and times every request; put it before the routers. */
  observe: MiddlewareHandler;
}

/** Route label of a request no route answered (a 404 from notFound). */
const UNMATCHED = 'unmatched';

export function hubMetrics(hub: Hub): HubMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'hoptrace_hub_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const seconds = new Histogram({
    name: 'hoptrace_hub_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route pattern (agent long polls wait up to their wait= by design)',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 60],
    registers,
  });
  new Gauge({
    name: 'hoptrace_hub_open_tracebacks',
    help: 'Tracebacks not yet at an outcome',
    registers,
    async collect() {
      this.set((await hub.store.openCaseIds()).length);
    },
  });
  new Gauge({
    name: 'hoptrace_hub_providers',
    help: 'Registered providers, by how they are reached (agent-pull, agent-push, manual)',
    labelNames: ['reach'],
    registers,
    async collect() {
      this.reset();
      for (const p of await hub.registry.list()) this.inc({ reach: p.reach });
    },
  });
  new Gauge({
    name: 'hoptrace_hub_store_up',
    help: '1 when the hub store (Redis or embedded) answers a ping',
    registers,
    async collect() {
      this.set((await hub.store.ping().catch(() => false)) ? 1 : 0);
    },
  });

  const observe: MiddlewareHandler = async (c, next) => {
    const end = seconds.startTimer();
    try {
      await next();
    } finally {
      const route = c.req.path === '/metrics' ? '/metrics' : matched(c);
      end({ method: c.req.method, route });
      requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    }
  };
  return { registry, observe };
}

/** The pattern of the route that answered (`/v1/tracebacks/:id`); the catch-all middleware pattern means none did. */
function matched(c: Parameters<MiddlewareHandler>[0]): string {
  const path = routePath(c, -1);
  return path === '/*' || path === '*' ? UNMATCHED : path;
}

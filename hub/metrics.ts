/**
 * The hub's Prometheus metrics: HTTP requests by route pattern (never by raw path: ids would make a series per
 * case); tracebacks ended by outcome and how long hops took to answer, counted from the cases this instance
 * stores (sum them over instances); and, read from the store when scraped, the open tracebacks, the manual hops
 * waiting for a person, the registered providers and whether the store answers. One registry per hub app, so
 * several hubs in one process (tests, the demo) keep apart.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Case, Outcome } from './case.js';
import { waitingManualHop } from './engine.js';
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
  const ended = new Counter({
    name: 'hoptrace_hub_tracebacks_ended_total',
    help: 'Tracebacks that reached an outcome on this hub instance, by outcome',
    labelNames: ['outcome'],
    registers,
  });
  const hopSeconds = new Histogram({
    name: 'hoptrace_hub_hop_answer_seconds',
    help: 'Time from a hop\'s first query to its answer (retries included), by how the provider answers (agent, manual)',
    labelNames: ['mode'],
    // Agents answer in milliseconds, people in hours (24 by US rule): one set of buckets spans both.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600, 3600, 4 * 3600, 24 * 3600],
    registers,
  });
  hub.observe((before, after) => {
    const t = transitions(before, after);
    if (t.ended) ended.inc({ outcome: t.ended });
    for (const hop of t.answered) hopSeconds.observe({ mode: hop.mode }, hop.seconds);
  });
  new Gauge({
    name: 'hoptrace_hub_manual_hops_pending',
    help: 'Open tracebacks waiting on a person to answer a manual hop',
    registers,
    async collect() {
      const open = await hub.store.listCases({ status: 'open' });
      this.set(open.filter((c) => waitingManualHop(c) !== undefined).length);
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

/** What a stored change of a case means for the counters: the outcome it reached, the hops answered by it. */
export function transitions(before: Case | undefined, after: Case): { ended?: Outcome; answered: { mode: 'agent' | 'manual'; seconds: number }[] } {
  const answered: { mode: 'agent' | 'manual'; seconds: number }[] = [];
  after.hops.forEach((hop, i) => {
    const sentAt = hop.attempts[0]?.sentAt;
    if (hop.state !== 'answered' || before?.hops[i]?.state === 'answered' || hop.answeredAt === undefined || sentAt === undefined) return;
    answered.push({ mode: hop.mode, seconds: Math.max(0, hop.answeredAt - sentAt) / 1000 });
  });
  const ends = after.status !== 'open' && before?.status !== after.status;
  return { ...(ends && { ended: after.status as Outcome }), answered };
}


/** The pattern of the route that answered (`/v1/tracebacks/:id`); the catch-all middleware pattern means none did. */
function matched(c: Parameters<MiddlewareHandler>[0]): string {
  const path = routePath(c, -1);
  return path === '/*' || path === '*' ? UNMATCHED : path;
}

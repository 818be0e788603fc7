/**
 * The agent's own HTTP server: liveness, readiness and Prometheus metrics (and, in push mode, the hub's
 * query endpoint). Ready only when its store answers and, for DNO enforcement, a snapshot is loaded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { drainHttp } from '../config/shutdown.js';

export interface ReadyCheck {
  name: string;
  ok(): Promise<boolean> | boolean;
}

export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;

export interface AgentHttpOptions {
  host: string;
  port: number;
  metrics: Registry;
  ready: readonly ReadyCheck[];
  routes?: readonly Route[];
}

/** How long requests under way may take to finish when the server closes, unless the caller says. */
const DRAIN_MS = 5_000;

export async function startAgentHttp(o: AgentHttpOptions): Promise<{ server: http.Server; port: number; close(graceMs?: number): Promise<void> }> {
  const server = http.createServer((req, res) => {
    handle(o, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: (graceMs = DRAIN_MS) => drainHttp(server, graceMs),
  };
}

async function handle(o: AgentHttpOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return json(res, 200, { ok: true });
  if (req.method === 'GET' && path === '/readyz') {
    const failing: string[] = [];
    for (const c of o.ready) if (!(await c.ok())) failing.push(c.name);
    return json(res, failing.length ? 503 : 200, { ready: failing.length === 0, failing });
  }
  if (req.method === 'GET' && path === '/metrics') {
    res.writeHead(200, { 'content-type': o.metrics.contentType });
    res.end(await o.metrics.metrics());
    return;
  }
  for (const route of o.routes ?? []) if (await route(req, res)) return;
  json(res, 404, { error: 'no such endpoint' });
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * The hub's HTTP API: a visible chain — request id + logger, body limit, then one router per resource.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { agentsApi } from './agents.js';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError, toResponse } from './errors.js';
import { providersApi } from './providers.js';
import { tracebacksApi } from './tracebacks.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export function hubApp(deps: ApiDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.use('*', async (c, next) => {
    const reqId = c.req.header('x-request-id') ?? randomUUID();
    c.set('log', deps.hub.log.child({ reqId }));
    c.header('x-request-id', reqId);
    await next();
  });
  app.use('*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`); } }));
  app.onError((err, c) => toResponse(err, c));
  app.notFound((c) => c.json({ error: 'no such endpoint' }, 404));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => ((await deps.hub.store.ping()) ? c.json({ ready: true }) : c.json({ ready: false, why: 'store unreachable' }, 503)));
  app.route('/v1/providers', providersApi(deps));
  app.route('/v1/tracebacks', tracebacksApi(deps));
  app.route('/v1/agent', agentsApi(deps));
  return app;
}

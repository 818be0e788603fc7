/**
 * The hub's HTTP API: a visible chain — request id + logger, body limit, then one router per resource.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { agentsApi } from './agents.js';
import { campaignsApi } from './campaigns.js';
import type { ApiDeps, HubEnv } from './context.js';
import { dnoApi, dnoImportApi } from './dno.js';
import { HttpError, toResponse } from './errors.js';
import { manualApi } from './manual.js';
import { instrument } from './metrics.js';
import { providersApi } from './providers.js';
import { reportsApi } from './reports.js';
import { tracebacksApi } from './tracebacks.js';
import { uiApi } from './ui.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export function hubApp(deps: ApiDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.use('*', async (c, next) => {
    const reqId = c.req.header('x-request-id') ?? randomUUID();
    c.set('log', deps.hub.log.child({ reqId }));
    c.header('x-request-id', reqId);
    await next();
  });
  // DNO imports carry their own, larger body limit (a million numbers are ~13 MB): routed before the global one.
  if (deps.dno) app.route('/', dnoImportApi(deps.dno, deps));
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        // The rest of the body is never read: the connection cannot carry another request.
        c.header('connection', 'close');
        throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  instrument(app, deps);
  app.onError((err, c) => toResponse(err, c));
  app.notFound((c) => c.json({ error: 'no such endpoint' }, 404));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => ((await deps.hub.store.ping()) ? c.json({ ready: true }) : c.json({ ready: false, why: 'store unreachable' }, 503)));
  app.route('/v1/providers', providersApi(deps));
  app.route('/v1/tracebacks', tracebacksApi(deps));
  app.route('/v1/campaigns', campaignsApi(deps));
  app.route('/v1/manual', manualApi(deps));
  app.route('/v1/reports', reportsApi(deps));
  app.route('/v1/agent', agentsApi(deps));
  if (deps.dno) app.route('/', dnoApi(deps.dno, deps));
  app.route('/', uiApi());
  return app;
}

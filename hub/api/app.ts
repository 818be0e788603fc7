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
import { forwardsApi } from './forwards.js';
import { manualApi } from './manual.js';
import { instrument } from './metrics.js';
import { providersApi } from './providers.js';
import { agentKey, rateLimit, TokenBuckets, tokenKey } from './rate-limit.js';
import { reportsApi } from './reports.js';
import { subscribersApi } from './subscribers.js';
import { tracebacksApi } from './tracebacks.js';
import { uiApi } from './ui.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/** A hub built in code (tests, benchmarks) may leave `tokens` out: its store then holds them. */
export type HubAppDeps = Omit<ApiDeps, 'tokens'> & { tokens?: ApiDeps['tokens'] };

export function hubApp(given: HubAppDeps): Hono<HubEnv> {
  const deps: ApiDeps = { ...given, tokens: given.tokens ?? given.hub.store };
  const app = new Hono<HubEnv>();
  app.use('*', async (c, next) => {
    const reqId = c.req.header('x-request-id') ?? randomUUID();
    c.set('log', deps.hub.log.child({ reqId }));
    c.header('x-request-id', reqId);
    await next();
  });
  // Per token before any route (DNO imports included); per agent key after the body limit, as it reads the body.
  const limits = deps.rateLimits;
  if (limits) app.use('*', rateLimit(new TokenBuckets(limits.token, deps.now), tokenKey, 'token'));
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
  if (limits) app.use('/v1/agent/*', rateLimit(new TokenBuckets(limits.agent, deps.now), agentKey, 'agent key'));
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
  if (deps.notifier) app.route('/', subscribersApi(deps.notifier, deps));
  if (deps.holders) app.route('/', forwardsApi(deps.holders, deps));
  app.route('/', uiApi());
  return app;
}

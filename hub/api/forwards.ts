/**
 * Trace forward (hub/forward/):
 * - POST   /v1/forwards                 (trace:write) `{ number, holder?, call?, campaign? }` → the case; read it,
 *                                       and its evidence, as any traceback (/v1/tracebacks/:id)
 * - GET    /v1/number-blocks            (trace:read) the registered number blocks
 * - POST   /v1/number-blocks            (admin) `{ prefix, provider }`;   DELETE /v1/number-blocks/:prefix (admin)
 */
import { Hono } from 'hono';
import { parse } from '../../proto/messages.js';
import { authorize } from '../auth.js';
import { startTraceForward } from '../forward/forward.js';
import { type HolderStore, NumberBlock } from '../forward/holders.js';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody } from './json.js';

export function forwardsApi(holders: HolderStore, { hub, now, tokens }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  r.post('/v1/forwards', async (c) => {
    const t = await authorize(tokens, c.req.header('authorization'), 'trace:write', now());
    return c.json(await startTraceForward(hub, holders, await jsonBody(c), t.id, now()), 201);
  });
  r.get('/v1/number-blocks', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'trace:read', now());
    return c.json({ blocks: await holders.list() });
  });
  r.post('/v1/number-blocks', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'admin', now());
    const b = parse(NumberBlock, await jsonBody(c));
    if (!(await hub.registry.get(b.provider))) throw new HttpError(404, `no such provider: ${b.provider}`);
    await holders.put(b);
    c.get('log').info(b, 'number block registered');
    return c.json(b, 201);
  });
  r.delete('/v1/number-blocks/:prefix', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'admin', now());
    if (!(await holders.remove(c.req.param('prefix')))) throw new HttpError(404, 'no such number block');
    return c.json({ removed: c.req.param('prefix') });
  });
  return r;
}

import { Hono } from 'hono';
import { authorize } from '../auth.js';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody } from './json.js';

export function providersApi({ hub, now }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  r.post('/', async (c) => {
    await authorize(hub.store, c.req.header('authorization'), 'admin', now());
    const p = await hub.registry.upsert(await jsonBody(c), now());
    c.get('log').info({ provider: p.id, keys: p.keys.map((k) => k.kid) }, 'provider registered');
    return c.json(p, 201);
  });
  r.get('/', async (c) => {
    await authorize(hub.store, c.req.header('authorization'), 'trace:read', now());
    return c.json({ providers: await hub.registry.list() });
  });
  r.get('/:id', async (c) => {
    await authorize(hub.store, c.req.header('authorization'), 'trace:read', now());
    const p = await hub.registry.get(c.req.param('id'));
    if (!p) throw new HttpError(404, 'no such provider');
    return c.json(p);
  });
  return r;
}

/**
 * Providers (admin writes, trace:read reads):
 * - POST  /v1/providers            register or replace (ProviderInput)
 * - GET   /v1/providers            list;   GET /v1/providers/:id   show
 * - PATCH /v1/providers/:id        change some fields (`null` removes an optional one)
 * - POST  /v1/providers/:id/keys   rotate: `{ kid, publicKey, notBefore?, overlapHours? }`; the keys valid until
 *                                  then stay valid for the overlap (default 24 h)
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { parse } from '../../proto/messages.js';
import { authorize } from '../auth.js';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody } from './json.js';

const Overlap = z.object({ overlapHours: z.number().min(0).max(720).default(24) });

export function providersApi({ hub, now, tokens }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  r.post('/', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'admin', now());
    const p = await hub.registry.upsert(await jsonBody(c), now());
    c.get('log').info({ provider: p.id, keys: p.keys.map((k) => k.kid) }, 'provider registered');
    return c.json(p, 201);
  });
  r.get('/', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'trace:read', now());
    return c.json({ providers: await hub.registry.list() });
  });
  r.get('/:id', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'trace:read', now());
    const p = await hub.registry.get(c.req.param('id'));
    if (!p) throw new HttpError(404, 'no such provider');
    return c.json(p);
  });
  r.patch('/:id', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'admin', now());
    const p = await hub.registry.update(c.req.param('id'), await jsonBody(c), now());
    c.get('log').info({ provider: p.id }, 'provider updated');
    return c.json(p);
  });
  r.post('/:id/keys', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'admin', now());
    const body = await jsonBody(c);
    const { overlapHours } = parse(Overlap, body);
    const p = await hub.registry.rotateKey(c.req.param('id'), body, now(), overlapHours * 3_600_000);
    c.get('log').info({ provider: p.id, keys: p.keys.map((k) => [k.kid, k.notAfter ?? null]) }, 'provider key rotated');
    return c.json(p);
  });
  return r;
}

import { Hono } from 'hono';
import { authorize } from '../auth.js';
import type { Case } from '../case.js';
import type { TokenRecord } from '../store/store.js';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody } from './json.js';

/** A case is shown to the token that asked for it and to admins only (CPNI: DESIGN §1 Privacy). */
function mayRead(t: TokenRecord, c: Case): boolean {
  return t.roles.includes('admin') || c.requester === t.id;
}

export function tracebacksApi({ hub, now }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  r.post('/', async (c) => {
    const t = await authorize(hub.store, c.req.header('authorization'), 'trace:write', now());
    const kase = await hub.startTraceback(await jsonBody(c), t.id);
    return c.json(kase, 201);
  });
  r.get('/', async (c) => {
    const t = await authorize(hub.store, c.req.header('authorization'), 'trace:read', now());
    const limit = Math.min(Number(c.req.query('limit') ?? 100) || 100, 1000);
    const status = c.req.query('status');
    const campaign = c.req.query('campaign');
    const cases = await hub.store.listCases({ ...(status && { status }), ...(campaign && { campaign }), limit });
    return c.json({ tracebacks: cases.filter((k) => mayRead(t, k)) });
  });
  r.get('/:id', async (c) => {
    const t = await authorize(hub.store, c.req.header('authorization'), 'trace:read', now());
    const kase = await hub.getCase(c.req.param('id'));
    // Same answer for "absent" and "not yours": existence of a case is not disclosed.
    if (!kase || !mayRead(t, kase)) throw new HttpError(404, 'no such traceback');
    return c.json(kase);
  });
  return r;
}

/**
 * Tracebacks (trace:write starts and cancels, trace:read reads):
 * - POST /v1/tracebacks                  start one (TracebackInput)
 * - GET  /v1/tracebacks?status&campaign  list;   GET /v1/tracebacks/:id   show
 * - GET  /v1/tracebacks/:id/evidence     the signed evidence bundle (hub/evidence.ts)
 * - POST /v1/tracebacks/:id/cancel       `{ reason? }`
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { parse } from '../../proto/messages.js';
import { authorize } from '../auth.js';
import type { Case } from '../case.js';
import type { TokenRecord } from '../store/store.js';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody } from './json.js';

/** A case is shown to the token that asked for it and to admins only (CPNI: DESIGN §1 Privacy). */
export function mayRead(t: TokenRecord, c: Case): boolean {
  return t.roles.includes('admin') || c.requester === t.id;
}

const Cancel = z.object({ reason: z.string().min(1).max(256).default('cancelled by the requester') });

export function tracebacksApi({ hub, now, tokens }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  /** The case, if this token may see it; the same 404 for "absent" and "not yours": existence is not disclosed. */
  const readable = async (t: TokenRecord, id: string): Promise<Case> => {
    const kase = await hub.getCase(id);
    if (!kase || !mayRead(t, kase)) throw new HttpError(404, 'no such traceback');
    return kase;
  };
  r.post('/', async (c) => {
    const t = await authorize(tokens, c.req.header('authorization'), 'trace:write', now());
    const kase = await hub.startTraceback(await jsonBody(c), t.id);
    return c.json(kase, 201);
  });
  r.get('/', async (c) => {
    const t = await authorize(tokens, c.req.header('authorization'), 'trace:read', now());
    const limit = Math.min(Number(c.req.query('limit') ?? 100) || 100, 1000);
    const status = c.req.query('status');
    const campaign = c.req.query('campaign');
    const cases = await hub.store.listCases({ ...(status && { status }), ...(campaign && { campaign }), limit });
    return c.json({ tracebacks: cases.filter((k) => mayRead(t, k)) });
  });
  r.get('/:id', async (c) => {
    const t = await authorize(tokens, c.req.header('authorization'), 'trace:read', now());
    return c.json(await readable(t, c.req.param('id')));
  });
  r.get('/:id/evidence', async (c) => {
    const t = await authorize(tokens, c.req.header('authorization'), 'trace:read', now());
    await readable(t, c.req.param('id'));
    return c.json(await hub.evidence(c.req.param('id')));
  });
  r.post('/:id/cancel', async (c) => {
    const t = await authorize(tokens, c.req.header('authorization'), 'trace:write', now());
    const { reason } = parse(Cancel, await jsonBody(c));
    await readable(t, c.req.param('id'));
    return c.json(await hub.cancel(c.req.param('id'), `${reason} (${t.id})`));
  });
  return r;
}

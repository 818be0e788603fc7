/**
 * Campaigns:
 * - POST /v1/campaigns/:name/tracebacks  `{ tracebacks: [TracebackInput…] }` (trace:write): every call is
 *   validated first (a 400 names e.g. `tracebacks[3].call.called`), then one traceback starts per call
 * - GET  /v1/campaigns/:name/graph       (trace:read) every path folded into provider → provider edges
 */
import { Hono } from 'hono';
import { authorize } from '../auth.js';
import { campaignGraph } from '../campaign.js';
import type { ApiDeps, HubEnv } from './context.js';
import { jsonBody } from './json.js';
import { mayRead } from './tracebacks.js';

export function campaignsApi({ hub, now, tokens }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  r.post('/:name/tracebacks', async (c) => {
    const t = await authorize(tokens, c.req.header('authorization'), 'trace:write', now());
    const started = await hub.startCampaign(c.req.param('name'), await jsonBody(c), t.id);
    return c.json({ campaign: c.req.param('name'), tracebacks: started.map((k) => ({ id: k.id, status: k.status })) }, 201);
  });
  r.get('/:name/graph', async (c) => {
    const t = await authorize(tokens, c.req.header('authorization'), 'trace:read', now());
    const name = c.req.param('name');
    const cases = (await hub.store.listCases({ campaign: name })).filter((k) => mayRead(t, k));
    return c.json(campaignGraph(name, cases));
  });
  return r;
}

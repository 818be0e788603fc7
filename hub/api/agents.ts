/**
 * The agents' side of the hub. Agents authenticate with signed envelopes, never tokens:
 * - GET  /v1/agent/queries?wait=SEC  with `Authorization: Hoptrace <signed poll>` → `{ queries: [jws…] }`
 * - POST /v1/agent/answers  `{ "jws": "<signed HopAnswer>" }` → 202
 */
import { Hono } from 'hono';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody } from './json.js';

const MAX_WAIT_SEC = 60;

export function agentsApi({ hub }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  r.get('/queries', async (c) => {
    const m = c.req.header('authorization')?.match(/^Hoptrace\s+(\S+)$/);
    if (!m?.[1]) throw new HttpError(401, 'missing signed poll (Authorization: Hoptrace <jws>)');
    const wait = Math.max(0, Math.min(Number(c.req.query('wait') ?? 0) || 0, MAX_WAIT_SEC));
    const queries = await hub.poll(m[1], wait * 1000, c.req.raw.signal);
    return c.json({ queries });
  });
  r.post('/answers', async (c) => {
    const body = await jsonBody(c);
    const jws = (body as { jws?: unknown } | null)?.jws;
    if (typeof jws !== 'string') throw new HttpError(400, 'jws: expected a string');
    const kase = await hub.receiveAnswer(jws);
    return c.json({ tracebackId: kase.id, status: kase.status }, 202);
  });
  return r;
}

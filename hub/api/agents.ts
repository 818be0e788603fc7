/**
 * The agents' side of the hub. Agents authenticate with signed envelopes, never tokens:
 * - GET  /v1/agent/queries?wait=SEC  with `Authorization: Hoptrace <signed poll>` → `{ queries: [jws…] }`
 * - POST /v1/agent/answers  `{ "jws": "<signed HopAnswer>" }` → 202 `{ tracebackId, status }`, or several at once
 *   `{ "answers": ["<jws>", …] }` → 202 `{ results: [{ tracebackId, status } | { refused: <status>, error }, …] }`
 *   in the order given: an agent answering many queries pays for one request, not one each.
 */
import { Hono } from 'hono';
import { type ApiDeps, type HubEnv, pollSignal } from './context.js';
import { classify, HttpError } from './errors.js';
import { jsonBody } from './json.js';

const MAX_WAIT_SEC = 60;
/** Answers in one request: an answer is a few kilobytes, the body limit a megabyte. */
export const MAX_ANSWERS_PER_POST = 256;

export function agentsApi(deps: ApiDeps): Hono<HubEnv> {
  const { hub } = deps;
  const r = new Hono<HubEnv>();
  r.get('/queries', async (c) => {
    const m = c.req.header('authorization')?.match(/^Hoptrace\s+(\S+)$/);
    if (!m?.[1]) throw new HttpError(401, 'missing signed poll (Authorization: Hoptrace <jws>)');
    const wait = Math.max(0, Math.min(Number(c.req.query('wait') ?? 0) || 0, MAX_WAIT_SEC));
    const queries = await hub.poll(m[1], wait * 1000, pollSignal(c.req.raw, deps));
    return c.json({ queries });
  });
  r.post('/answers', async (c) => {
    const body = (await jsonBody(c)) as { jws?: unknown; answers?: unknown } | null;
    if (body?.answers === undefined) {
      const jws = body?.jws;
      if (typeof jws !== 'string') throw new HttpError(400, 'jws: expected a string');
      const kase = await hub.receiveAnswer(jws);
      return c.json({ tracebackId: kase.id, status: kase.status }, 202);
    }
    const { answers } = body;
    if (!Array.isArray(answers) || answers.length === 0 || answers.length > MAX_ANSWERS_PER_POST) {
      throw new HttpError(400, `answers: expected 1 to ${MAX_ANSWERS_PER_POST} signed answers`);
    }
    const bad = answers.findIndex((a) => typeof a !== 'string');
    if (bad >= 0) throw new HttpError(400, `answers[${bad}]: expected a string`);
    // Each answer moves its own case: applied together, so their store round trips share the connection's writes.
    const settled = await Promise.allSettled((answers as string[]).map((jws) => hub.receiveAnswer(jws)));
    const results = settled.map((r) => {
      if (r.status === 'fulfilled') return { tracebackId: r.value.id, status: r.value.status };
      const [refused, why] = classify(r.reason);
      if (refused >= 500) c.get('log').error({ err: r.reason }, 'answer failed');
      else c.get('log').warn({ status: refused, error: why.error }, 'answer refused');
      return { refused, ...why };
    });
    return c.json({ results }, 202);
  });
  return r;
}

/**
 * Manual hops. The link is the credential (hub/manual.ts): the person who opens it needs no account.
 * The link's token travels in `Authorization: Manual <token>`, never in a path, so access logs never hold it.
 * - GET  /v1/manual           (admin) manual hops waiting for a person, each with its link and the contact
 * - GET  /v1/manual/question  the call and the question
 * - POST /v1/manual/question  `{ result: upstream|originated|not_found, upstream?: { providerId } | { name },
 *                             customer?, answeredBy: { name, email? }, note? }`
 */
import { Hono } from 'hono';
import { authorize } from '../auth.js';
import { manualLinkUrl, manualTokenOf } from '../manual.js';
import { FORWARD_QUESTION, TRACEBACK_QUESTION } from '../notify/notices.js';
import type { ApiDeps, HubEnv } from './context.js';
import { jsonBody } from './json.js';

export function manualApi({ hub, now, tokens, publicUrl }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  r.get('/', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'admin', now());
    const base = publicUrl ?? new URL(c.req.url).origin;
    const pending = await hub.pendingManualHops();
    return c.json({ pending: pending.map(({ token, ...p }) => ({ ...p, url: manualLinkUrl(base, token) })) });
  });
  r.get('/question', async (c) => {
    const { link, case: kase, provider } = await hub.manualQuestion(manualTokenOf(c.req.header('authorization')));
    const hop = kase.hops.at(-1)!;
    const others = (await hub.registry.list()).filter((p) => p.id !== link.provider && !p.provisional);
    return c.json({
      traceback: kase.id,
      provider: { id: link.provider, name: provider?.name ?? link.provider },
      askedBy: hop.askedBy,
      call: { ...kase.call, windowSec: hop.attempts.at(-1)!.windowSec },
      deadline: new Date(link.expires).toISOString(),
      // A trace forward asks who holds a call-back number (hub/forward/), a traceback who handed the call over.
      question: kase.forward ? FORWARD_QUESTION : TRACEBACK_QUESTION,
      ...(kase.forward && { number: kase.forward.number }),
      answers: ['upstream', 'originated', 'not_found'],
      providers: others.map((p) => ({ id: p.id, name: p.name })),
    });
  });
  r.post('/question', async (c) => {
    const kase = await hub.receiveManualAnswer(manualTokenOf(c.req.header('authorization')), await jsonBody(c));
    return c.json({ tracebackId: kase.id, status: kase.status }, 202);
  });
  return r;
}

/**
 * Subscribers and their deliveries (admin only: who receives referrals is the hub operator's decision):
 * - POST   /v1/subscribers                  register or replace (hub/notify/subscriber.ts SubscriberInput)
 * - GET    /v1/subscribers                  list;   DELETE /v1/subscribers/:id   remove
 * - GET    /v1/deliveries?state&subscriber&case&limit   deliveries, newest first, without their bodies
 * - GET    /v1/deliveries/dead-letters      the dead letters, each with its last error
 * - GET    /v1/deliveries/:id               one delivery with the sealed notification it sends
 * - POST   /v1/deliveries/:id/redeliver     due now, with a fresh attempt budget and the same idempotency key
 * - DELETE /v1/deliveries/:id               drop a dead letter for good (409 for any other delivery: delivered
 *                                           records leave by retention, pending ones are still being sent)
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { parse } from '../../proto/messages.js';
import { authorize } from '../auth.js';
import type { Delivery } from '../notify/delivery.js';
import type { Notifier } from '../notify/notifier.js';
import { NotDeadLetterError, UnknownDeliveryError } from '../notify/queue.js';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody } from './json.js';

const Listing = z.object({
  state: z.enum(['pending', 'delivered', 'dead']).optional(),
  subscriber: z.string().max(64).optional(),
  case: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function subscribersApi(notifier: Notifier, { now, tokens }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  // Per route, not `use('*')`: this router is mounted at the root, beside the others.
  const admin: MiddlewareHandler<HubEnv> = async (c, next) => {
    c.set('token', await authorize(tokens, c.req.header('authorization'), 'admin', now()));
    await next();
  };
  r.post('/v1/subscribers', admin, async (c) => c.json(await notifier.addSubscriber(await jsonBody(c)), 201));
  r.get('/v1/subscribers', admin, async (c) => c.json({ subscribers: await notifier.listSubscribers() }));
  r.delete('/v1/subscribers/:id', admin, async (c) => {
    if (!(await notifier.removeSubscriber(c.req.param('id')))) throw new HttpError(404, 'no such subscriber');
    return c.json({ removed: c.req.param('id') });
  });

  r.get('/v1/deliveries', admin, async (c) => {
    const q = parse(Listing, c.req.query());
    const found = await notifier.listDeliveries({ limit: q.limit, ...(q.state && { state: q.state }), ...(q.subscriber && { subscriber: q.subscriber }), ...(q.case && { caseId: q.case }) });
    return c.json({ deliveries: found.map(withoutBody) });
  });
  r.get('/v1/deliveries/dead-letters', admin, async (c) => {
    const { limit } = parse(Listing, c.req.query());
    return c.json({ deliveries: (await notifier.listDeliveries({ state: 'dead', limit })).map(withoutBody) });
  });
  r.get('/v1/deliveries/:id', admin, async (c) => {
    const d = await notifier.getDelivery(c.req.param('id'));
    if (!d) throw new HttpError(404, 'no such delivery');
    return c.json({ ...withoutBody(d), notification: JSON.parse(d.body) as unknown });
  });
  r.post('/v1/deliveries/:id/redeliver', admin, async (c) => {
    const d = await notifier.redeliver(c.req.param('id')).catch((err: unknown) => {
      throw err instanceof UnknownDeliveryError ? new HttpError(404, 'no such delivery') : err;
    });
    c.get('log').info({ delivery: d.id, by: c.get('token').id }, 'redelivery requested');
    return c.json(withoutBody(d), 202);
  });
  r.delete('/v1/deliveries/:id', admin, async (c) => {
    const id = c.req.param('id');
    try {
      await notifier.dropDeadLetter(id);
    } catch (err) {
      if (err instanceof UnknownDeliveryError) throw new HttpError(404, 'no such delivery');
      if (err instanceof NotDeadLetterError) throw new HttpError(409, err.message);
      throw err;
    }
    c.get('log').info({ delivery: id, by: c.get('token').id }, 'dead letter dropped by request');
    return c.json({ dropped: id });
  });
  return r;
}

function withoutBody({ body: _b, ...d }: Delivery): Omit<Delivery, 'body'> {
  return d;
}

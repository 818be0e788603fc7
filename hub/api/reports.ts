/**
 * Reports (trace:read; aggregates only, no call data): GET /v1/reports/:name[?campaign=NAME] with :name one of
 * non-responsive, time-to-complete, monthly, hops, outcomes (hub/reports.ts).
 */
import { Hono } from 'hono';
import { authorize } from '../auth.js';
import { report, REPORTS, type ReportName } from '../reports.js';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError } from './errors.js';

export function reportsApi({ hub, now }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  r.get('/:name', async (c) => {
    await authorize(hub.store, c.req.header('authorization'), 'trace:read', now());
    const name = c.req.param('name');
    if (!(REPORTS as readonly string[]).includes(name)) throw new HttpError(404, `no such report: ${name} (one of ${REPORTS.join(', ')})`);
    const campaign = c.req.query('campaign');
    const cases = await hub.store.listCases(campaign ? { campaign } : {});
    return c.json({ report: name, ...(campaign && { campaign }), rows: report(name as ReportName, cases) });
  });
  return r;
}

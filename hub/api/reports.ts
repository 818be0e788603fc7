/**
 * Reports (trace:read; aggregates only, no call data): GET /v1/reports/:name[?campaign=NAME][&kind=KIND] with
 * :name one of non-responsive, time-to-complete, monthly, hops, outcomes (hub/reports.ts), over the cases of one
 * kind: `traceback` (the default) or `forward` (trace forwards).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { parse } from '../../proto/messages.js';
import { authorize } from '../auth.js';
import { CASE_KINDS } from '../case.js';
import { report, REPORTS, type ReportName } from '../reports.js';
import type { ApiDeps, HubEnv } from './context.js';
import { HttpError } from './errors.js';

const ReportQuery = z.object({ campaign: z.string().max(128).optional(), kind: z.enum(CASE_KINDS).default('traceback') });

export function reportsApi({ hub, now, tokens }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  r.get('/:name', async (c) => {
    await authorize(tokens, c.req.header('authorization'), 'trace:read', now());
    const name = c.req.param('name');
    if (!(REPORTS as readonly string[]).includes(name)) throw new HttpError(404, `no such report: ${name} (one of ${REPORTS.join(', ')})`);
    const { campaign, kind } = parse(ReportQuery, c.req.query());
    const cases = await hub.store.listCases(campaign ? { campaign } : {});
    return c.json({ report: name, kind, ...(campaign && { campaign }), rows: report(name as ReportName, cases, kind) });
  });
  return r;
}

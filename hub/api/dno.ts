/**
 * The DNO master list (dno:write changes, trace:read reads; agents sync with signed polls):
 * - GET  /v1/dno                          version and entries per category
 * - GET  /v1/dno/entries?target=N         the entries for one number, prefix or range, with who added them
 * - GET  /v1/dno/entries?category&limit   the first entries (default 100)
 * - POST /v1/dno/entries                  add `{ entries: DnoEntry[], why? }`
 * - POST /v1/dno/removals                 remove `{ targets: ['+12025550100', '+1900*,listed'], why?, applyGood? }`
 * - POST /v1/dno/imports?category&reason&source&why&file&applyGood   body: list text (one per line, or CSV)
 * - GET  /v1/dno/export?format=csv|lines&category                    the list in the import formats
 * - GET  /v1/dno/history?before&limit     the change log, newest first
 * - GET  /v1/agent/dno?since=V&wait=SEC   `Authorization: Hoptrace <signed dno-poll>` → the sync stream
 *                                         (proto/dno-sync.ts), gzip when the agent accepts it
 * A refused change is a 422 with every bad line: `{ error, problems: [{ line, text, reason }] }`.
 *
 * Imports are their own router, mounted ahead of the hub's 1 MB body limit (app.ts) with a limit of their own:
 * an import of a million numbers is ~13 MB.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { StoreUnavailableError } from '../../agent/calls/store.js';
import { DNO_SYNC_CONTENT_TYPE } from '../../proto/dno-sync.js';
import { DnoCategory, parse } from '../../proto/messages.js';
import { authorize } from '../auth.js';
import { NEVER_SYNCED } from '../dno/feed.js';
import { DnoChangeRefused } from '../dno/master.js';
import type { HubDno } from '../dno/open.js';
import type { DnoChangeResult } from '../dno/store.js';
import { type ApiDeps, type HubEnv, pollSignal } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody } from './json.js';

const IMPORT_BODY_BYTES = 256 * 1024 * 1024;
const MAX_WAIT_SEC = 60;
const MAX_LIST = 10_000;
const MAX_HISTORY = 1000;

/** POST /v1/dno/imports, with its own body limit. */
export function dnoImportApi({ service }: HubDno, { tokens, now }: ApiDeps): Hono<HubEnv> {
  const r = new Hono<HubEnv>();
  const uploadLimit = bodyLimit({
    maxSize: IMPORT_BODY_BYTES,
    onError: (c) => {
      // The rest of the body is never read: the connection cannot carry another request.
      c.header('connection', 'close');
      throw new HttpError(413, `body larger than ${IMPORT_BODY_BYTES} bytes`);
    },
  });
  // The token first: nobody without dno:write gets a large body read.
  const mayWrite: MiddlewareHandler<HubEnv> = async (c, next) => {
    c.set('token', await authorize(tokens, c.req.header('authorization'), 'dno:write', now()));
    await next();
  };
  r.post('/v1/dno/imports', mayWrite, uploadLimit, async (c) => {
    const who = c.get('token').id;
    const q = c.req.query();
    const options = {
      ...(q.category !== undefined && { category: q.category as DnoCategory }),
      ...(q.reason !== undefined && { reason: q.reason }),
      ...(q.source !== undefined && { source: q.source }),
      ...(q.why !== undefined && { why: q.why }),
      ...(q.file !== undefined && { file: q.file }),
      applyGood: q.applyGood === 'true' || q.applyGood === '1',
    };
    return changed(c, service.import(await c.req.text(), options, who));
  });
  return r;
}

/** Everything else of the DNO list, people's and agents'. */
export function dnoApi({ service, feed }: HubDno, deps: ApiDeps): Hono<HubEnv> {
  const { tokens, now } = deps;
  const r = new Hono<HubEnv>();
  const reader = (c: Context<HubEnv>) => authorize(tokens, c.req.header('authorization'), 'trace:read', now());

  r.get('/v1/dno', async (c) => {
    await reader(c);
    return c.json(await available(() => service.summary()));
  });
  r.get('/v1/dno/entries', async (c) => {
    await reader(c);
    const target = c.req.query('target');
    const category = optionalCategory(c.req.query('category'));
    const n = count(c.req.query('limit'), 100, MAX_LIST);
    const entries = await available(() => (target !== undefined ? service.find(target) : service.list({ limit: n, ...(category && { category }) })));
    return c.json({ entries });
  });
  r.post('/v1/dno/entries', async (c) => {
    const who = await writer(tokens, c, now());
    return changed(c, service.add(await jsonBody(c), who));
  });
  r.post('/v1/dno/removals', async (c) => {
    const who = await writer(tokens, c, now());
    return changed(c, service.remove(await jsonBody(c), who));
  });
  r.get('/v1/dno/export', async (c) => {
    await reader(c);
    const format = c.req.query('format') ?? 'csv';
    if (format !== 'csv' && format !== 'lines') throw new HttpError(400, 'format: expected csv or lines');
    const category = optionalCategory(c.req.query('category'));
    const lines = service.export({ format, ...(category && { category }) });
    return new Response(textStream(lines), { headers: { 'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8' } });
  });
  r.get('/v1/dno/history', async (c) => {
    await reader(c);
    const before = c.req.query('before');
    const rows = await available(() => service.history({ limit: count(c.req.query('limit'), 50, MAX_HISTORY), ...(before !== undefined && { before: count(before, 1, Number.MAX_SAFE_INTEGER) }) }));
    return c.json({ rows });
  });

  r.get('/v1/agent/dno', async (c) => {
    const m = c.req.header('authorization')?.match(/^Hoptrace\s+(\S+)$/);
    if (!m?.[1]) throw new HttpError(401, 'missing signed poll (Authorization: Hoptrace <jws>)');
    const poll = await feed.open(m[1]);
    const sinceText = c.req.query('since');
    const since = sinceText === undefined ? NEVER_SYNCED : count(sinceText, 0, Number.MAX_SAFE_INTEGER);
    const wait = Math.max(0, Math.min(Number(c.req.query('wait') ?? 0) || 0, MAX_WAIT_SEC));
    if (wait > 0 && since !== NEVER_SYNCED) await feed.waitForChange(poll, since, wait * 1000, pollSignal(c.req.raw, deps));
    // The agent hung up while the poll waited: nobody to stream the list to.
    if (c.req.raw.signal.aborted) return c.body(null, 204);
    const body = textStream(feed.lines(poll, since));
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    const headers: Record<string, string> = { 'content-type': DNO_SYNC_CONTENT_TYPE };
    if (gzip) headers['content-encoding'] = 'gzip';
    return new Response(gzip ? body.pipeThrough(new CompressionStream('gzip')) : body, { headers });
  });
  return r;
}

/** The token id of a caller that may change the list. */
async function writer(tokens: ApiDeps['tokens'], c: Context<HubEnv>, now: number): Promise<string> {
  return (await authorize(tokens, c.req.header('authorization'), 'dno:write', now)).id;
}

async function changed(c: Context<HubEnv>, change: Promise<DnoChangeResult>): Promise<Response> {
  try {
    const { row, skipped } = await available(() => change);
    c.get('log').info({ dno: row.version, who: row.who, op: row.what.op, added: row.what.added, removed: row.what.removed, skipped: row.what.skipped }, 'DNO list changed');
    return c.json({ version: row.version, row, skipped }, 201);
  } catch (err) {
    if (!(err instanceof DnoChangeRefused)) throw err;
    return c.json({ error: err.message, problems: err.problems }, 422);
  }
}

/** The store's outage as a 503 (the request may be retried), not a 500. */
async function available<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw new HttpError(503, `DNO list unavailable: ${err.message}`);
    throw err;
  }
}

function optionalCategory(text: string | undefined): DnoCategory | undefined {
  return text === undefined ? undefined : parse(DnoCategory, text);
}

function count(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `expected a whole number, got ${JSON.stringify(text)}`);
  return Math.min(n, max);
}

/** UTF-8 bytes of `chunks`, produced as the client reads them. */
function textStream(chunks: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await it.return?.();
    },
  });
}

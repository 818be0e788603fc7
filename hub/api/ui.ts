/**
 * The web UI: static files from hub/ui (plain ES modules, no build step) under /ui/, and `/` → `/ui/`.
 * The files are read once, when the router is made: only those files are served, so no request path can
 * reach the file system. The pages call the JSON API with the person's bearer token; the policy below lets
 * them load nothing but the hub's own scripts and styles, and never be framed.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { Hono } from 'hono';
import type { HubEnv } from './context.js';

/** Where hub/ui is, in the source tree and in dist/ (the Dockerfile copies it to dist/hub/ui). */
export const UI_DIR = resolve(import.meta.dirname, '../ui');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // The manual-answer page carries its link token in the fragment; no page of the UI needs a referrer.
  'referrer-policy': 'no-referrer',
};

interface UiFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

export function uiApi(dir: string = UI_DIR): Hono<HubEnv> {
  const files = readUiFiles(dir);
  const r = new Hono<HubEnv>();
  r.get('/', (c) => c.redirect('/ui/', 302));
  r.get('/ui', (c) => c.redirect('/ui/', 301));
  r.get('/ui/*', (c) => {
    const path = c.req.path.slice('/ui/'.length) || 'index.html';
    const f = files.get(path);
    if (!f) return c.json({ error: 'no such page' }, 404);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    c.header('etag', f.etag);
    // Revalidate every time: the files are small, and a hub upgrade must never run old scripts against a new API.
    c.header('cache-control', 'no-cache');
    if (c.req.header('if-none-match') === f.etag) return c.body(null, 304);
    c.header('content-type', f.type);
    return c.body(f.body);
  });
  return r;
}

/** Every file under `dir` with a known type, keyed by its '/'-separated path relative to `dir`. */
function readUiFiles(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const full = join(entry.parentPath, entry.name);
    const body = new Uint8Array(readFileSync(full));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(relative(dir, full).split(sep).join('/'), { body, type, etag });
  }
  return files;
}

/**
 * The UI router (hub/api/ui.ts): the hub serves hub/ui under /ui/ with a policy that lets pages load only the
 * hub's own scripts, revalidates with ETags, and serves nothing but the UI's own files.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { hubApp } from '../../hub/api/app.js';
import { uiApi } from '../../hub/api/ui.js';
import { defaultEngineConfig } from '../../hub/engine.js';
import { Hub } from '../../hub/hub.js';
import { MemoryHubStore } from '../../hub/store/memory-store.js';
import { generateKeyPair } from '../../proto/keys.js';

const store = new MemoryHubStore();
const hub = new Hub({ id: 'hub', key: generateKeyPair(), store, log: pino({ level: 'silent' }), engine: defaultEngineConfig });
const app = hubApp({ hub, now: Date.now });
afterAll(() => store.close());

describe('the hub serves its web UI', () => {
  it('sends / to the UI', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/ui/');
  });

  it('serves the page with a content policy that allows only its own scripts and no framing', async () => {
    const res = await app.request('/ui/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).toContain('<main id="main"');
    expect(html).toContain('<script type="module" src="js/app.js"></script>');
  });

  it('serves the modules as JavaScript and the manual-answer page', async () => {
    expect((await app.request('/ui/js/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await app.request('/ui/js/views/traceback.js')).status).toBe(200);
    const manual = await app.request('/ui/manual.html');
    expect(await manual.text()).toContain('js/manual-page.js');
  });

  it('answers 304 to a browser that has the current file', async () => {
    const first = await app.request('/ui/style.css');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect((await app.request('/ui/style.css', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await app.request('/ui/style.css', { headers: { 'if-none-match': '"stale"' } })).status).toBe(200);
  });

  it('serves no file outside the UI, however the path is written', async () => {
    for (const path of ['/ui/nothing.js', '/ui/..%2fpackage.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/js/../../../package.json']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('"dependencies"');
    }
  });

  it('takes only files of web types from its directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-ui-'));
    mkdirSync(join(dir, 'js'));
    writeFileSync(join(dir, 'index.html'), '<h1>x</h1>');
    writeFileSync(join(dir, 'js', 'a.js'), 'export {}');
    writeFileSync(join(dir, 'secrets.env'), 'TOKEN=1');
    const ui = uiApi(dir);
    expect(await (await ui.request('/ui/')).text()).toBe('<h1>x</h1>');
    expect((await ui.request('/ui/js/a.js')).status).toBe(200);
    expect((await ui.request('/ui/secrets.env')).status).toBe(404);
  });
});

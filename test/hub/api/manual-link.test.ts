/**
 * How a manual-hop link travels and which keys it may carry: the answer page sends its token in a header, so no
 * request path and no hub log line holds it; after a hub key rotation, links signed by the previous key open
 * until the overlap ends and are refused after.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHubConfig } from '../../../config/load.js';
import { signManualLink } from '../../../hub/manual.js';
import { generateKeyPair, publicKeyToRaw } from '../../../proto/keys.js';
import { provider, startTestHub, type TestHub } from '../harness.js';

const HOUR = 3_600_000;
const oldKey = generateKeyPair('hub-old');
const overlapEnds = Date.parse('2026-11-29T12:00:00Z');
let clock = overlapEnds - 2 * HOUR;
const logged: string[] = [];
let t: TestHub;

beforeAll(async () => {
  const log = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logged.push(chunk.toString()), done()) }));
  t = await startTestHub({ now: () => clock, log, previousKeys: [{ publicKey: publicKeyToRaw(oldKey.publicKey), notAfter: new Date(overlapEnds).toISOString() }] });
  await t.api().addProvider(provider('by-hand', undefined, { reach: 'manual', contact: { email: 'noc@byhand.example' } }));
});
afterAll(() => t.stop());

/** A traceback waiting for a person at by-hand, and the link the hub hands out for it. */
async function waiting(calling: string) {
  const started = await t.api('requester').startTraceback({ call: { calling, called: '+12025550143', at: new Date(clock - 60_000).toISOString() }, firstProvider: 'by-hand' });
  const p = (await t.api().pendingManual()).find((m) => m.caseId === started.id)!;
  const attempt = (await t.api().getTraceback(started.id)).hops[0]!.attempts.at(-1)!;
  return { caseId: started.id, url: p.url, link: { caseId: started.id, queryId: attempt.queryId, provider: 'by-hand', expires: attempt.deadline } };
}

const ask = (method: 'GET' | 'POST', token: string, body?: unknown) =>
  t.http(method, '/v1/manual/question', { headers: { authorization: `Manual ${token}` }, ...(body !== undefined && { body }) });
const answer = { result: 'not_found', answeredBy: { name: 'Pat Noc' } };

describe('manual-hop link token', () => {
  it('is handed out in the answer page fragment and answered from a header: no path or log line holds it', async () => {
    const { caseId, url } = await waiting('+13125550101');
    const u = new URL(url);
    expect(`${u.origin}${u.pathname}`).toBe(`${t.url}/ui/manual.html`);
    const token = u.hash.slice(1);
    logged.length = 0;
    expect((await ask('GET', token)).status).toBe(200);
    expect(await ask('POST', token, answer)).toMatchObject({ status: 202, body: { tracebackId: caseId } });
    expect(logged.some((l) => JSON.parse(l).msg === 'manual hop answered')).toBe(true);
    for (const line of logged) expect(line).not.toContain(token.split('.')[2]);
  });

  it('is refused without the header, or in the old path, and nothing changes', async () => {
    const { caseId, url } = await waiting('+13125550102');
    const token = new URL(url).hash.slice(1);
    const before = await t.api().getTraceback(caseId);
    expect(await t.http('POST', '/v1/manual/question', { body: answer })).toEqual({ status: 401, body: { error: 'send the link as "Authorization: Manual <token>"' } });
    expect(await t.http('POST', '/v1/manual/question', { body: answer, headers: { authorization: `Bearer ${token}` } })).toMatchObject({ status: 401 });
    expect((await t.http('POST', `/v1/manual/${token}`, { body: answer })).status).toBe(404);
    expect(await t.api().getTraceback(caseId)).toEqual(before);
  });
});

describe('manual-hop links after a hub key rotation', () => {
  it('opens and answers a link signed by the previous key during the overlap, and refuses it after', async () => {
    const first = await waiting('+13125550103');
    const second = await waiting('+13125550104');
    const oldLink = (l: typeof first.link) => signManualLink(l, 'hub', oldKey, clock);
    expect((await ask('GET', oldLink(first.link))).status).toBe(200);
    expect(await ask('POST', oldLink(first.link), answer)).toMatchObject({ status: 202, body: { tracebackId: first.caseId } });
    expect((await t.api().getTraceback(first.caseId)).hops[0]?.answeredBy?.name).toBe('Pat Noc');

    const stale = oldLink(second.link);
    const before = await t.api().getTraceback(second.caseId);
    clock = overlapEnds;
    expect(await ask('GET', stale)).toEqual({ status: 401, body: { error: 'this link is not valid' } });
    expect(await ask('POST', stale, answer)).toEqual({ status: 401, body: { error: 'this link is not valid' } });
    expect(await t.api().getTraceback(second.caseId)).toEqual(before);
    // The current key's link for the same question still works.
    expect(await ask('POST', signManualLink(second.link, 'hub', t.key, clock), answer)).toMatchObject({ status: 202 });
  });

  it('refuses a link signed by a key that was never the hub key', async () => {
    const { link } = await waiting('+13125550105');
    expect(await ask('GET', signManualLink(link, 'hub', generateKeyPair('hub-old'), clock))).toEqual({ status: 401, body: { error: 'this link is not valid' } });
  });
});

describe('previousKeys setting', () => {
  const file = (yaml: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'hub-prev-')), 'hub.yaml');
    writeFileSync(f, yaml);
    return f;
  };
  const raw = publicKeyToRaw(oldKey.publicKey);

  it('loads a retired key with the end of its overlap', () => {
    const { config } = loadHubConfig({ env: {}, file: file(`previousKeys:\n  - publicKey: ${raw}\n    notAfter: 2026-11-29T12:00:00Z\n`) });
    expect(config.previousKeys).toEqual([{ publicKey: raw, notAfter: '2026-11-29T12:00:00Z' }]);
  });

  it.each([
    [`  - publicKey: ${raw}\n    notAfter: tomorrow\n`, /previousKeys\[0\]\.notAfter/],
    ['  - publicKey: not-a-key\n    notAfter: 2026-11-29T12:00:00Z\n', /previousKeys\[0\]\.publicKey.*base64url of a raw 32-byte Ed25519 key/],
    [`  - publicKey: ${raw}\n`, /previousKeys\[0\]\.notAfter/],
  ])('refuses a bad entry, naming it: %s', (entry, reason) => {
    expect(() => loadHubConfig({ env: {}, file: file(`previousKeys:\n${entry}`) })).toThrow(reason);
  });
});

/**
 * The agent's push endpoint on its real HTTP server: signed queries in, verified as pulled ones are, answered
 * through the same handler, answers posted to the hub (here a recording stand-in on a real socket).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../../../agent/agent.js';
import { startAgentHttp } from '../../../agent/http.js';
import { loadAgentConfig } from '../../../config/load.js';
import { HubLink } from '../../../agent/link/hub-link.js';
import { MAX_PUSH_BYTES, PushEndpoint } from '../../../agent/link/push.js';
import { sign, verifyOffline } from '../../../proto/envelope.js';
import { generateKeyPair, privateKeyToPem, publicKeyToRaw } from '../../../proto/keys.js';
import type { HopAnswer, HopQuery } from '../../../proto/messages.js';

const hubKey = generateKeyPair('hub');
const agentKey = generateKeyPair('agent');
const log = pino({ level: 'silent' });
const answers: string[] = [];
let waiters: (() => void)[] = [];
let hub: http.Server;
let agent: Awaited<ReturnType<typeof startAgentHttp>>;
let push: PushEndpoint;
let link: HubLink;
let agentUrl: string;

function query(n: number): HopQuery {
  return { queryId: `q${n}`, tracebackId: 'case-1', call: { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30Z', windowSec: 120 }, askedBy: null, deadline: '2026-11-28T12:00:30Z' };
}
const signed = (q: HopQuery, key = hubKey, aud = 'carrier-b') => sign(q, { iss: 'hub', aud, typ: 'hop-query', key });

async function post(body: unknown, o: { method?: 'POST' | 'GET'; raw?: string } = {}) {
  const res = await request(`${agentUrl}/v1/queries`, {
    method: o.method ?? 'POST',
    headers: { 'content-type': 'application/json' },
    ...(o.method !== 'GET' && { body: o.raw ?? JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: (await res.body.json()) as { accepted?: number; refused?: { index: number; reason: string }[]; error?: string } };
}

const nextAnswer = () => new Promise<void>((resolve) => waiters.push(resolve));

beforeAll(async () => {
  hub = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      // A request cut off when the link stops arrives empty: refuse it like the hub would.
      let posted: { jws?: string; answers?: string[] };
      try {
        posted = JSON.parse(body) as typeof posted;
      } catch {
        res.writeHead(400).end();
        return;
      }
      // Answers of the same moment come together (agent/link/outbox.ts).
      const batch = posted.answers ?? [posted.jws!];
      answers.push(...batch);
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify(posted.answers ? { results: batch.map(() => ({ status: 'open' })) } : {}));
      const wake = waiters;
      waiters = [];
      for (const w of wake) w();
    });
  });
  await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
  link = new HubLink({
    hubUrl: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`,
    hubId: 'hub',
    hubKeys: [hubKey.publicKey],
    provider: 'carrier-b',
    key: agentKey,
    log,
    handle: async (q): Promise<HopAnswer> => ({ queryId: q.queryId, tracebackId: q.tracebackId, provider: 'carrier-b', result: 'not_found', matches: [], answeredAt: new Date().toISOString(), agentVersion: 'test' }),
  });
  push = new PushEndpoint(link, log);
  agent = await startAgentHttp({ host: '127.0.0.1', port: 0, metrics: new Registry(), ready: [], routes: [push.route] });
  agentUrl = `http://127.0.0.1:${agent.port}`;
});
afterAll(async () => {
  await agent.close();
  await push.stop();
  await link.close();
  await new Promise((r) => hub.close(r));
});

describe('push endpoint', () => {
  it('accepts a query the hub signed for this provider and posts the signed answer back to the hub', async () => {
    const heard = nextAnswer();
    expect(await post({ queries: [signed(query(1))] })).toEqual({ status: 202, body: { accepted: 1, refused: [] } });
    await heard;
    const v = verifyOffline<HopAnswer>(answers.at(-1)!, [agentKey.publicKey]);
    expect([v.claims.iss, v.claims.aud, v.claims.typ, v.body.queryId, v.body.result]).toEqual(['carrier-b', 'hub', 'hop-answer', 'q1', 'not_found']);
  });

  it('refuses each query that fails verification, saying why, and answers the others', async () => {
    const before = answers.length;
    const heard = nextAnswer();
    const res = await post({ queries: [signed(query(2), generateKeyPair('hub')), signed(query(3)), signed(query(4), hubKey, 'carrier-x'), 'garbage'] });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1);
    expect(res.body.refused?.map((r) => [r.index, r.reason.split(':')[0]])).toEqual([
      [0, 'bad-signature'],
      [2, 'wrong-audience'],
      [3, 'malformed'],
    ]);
    await heard;
    expect(answers.length).toBe(before + 1);
  });

  it('accepts several queries the hub signed in one hop-queries envelope, and answers each', async () => {
    const before = answers.length;
    const heard = nextAnswer();
    const together = sign({ queries: [query(6), query(7), query(8)] }, { iss: 'hub', aud: 'carrier-b', typ: 'hop-queries', key: hubKey });
    expect(await post({ queries: [together] })).toEqual({ status: 202, body: { accepted: 3, refused: [] } });
    await heard;
    expect(answers.slice(before).map((a) => verifyOffline<HopAnswer>(a, [agentKey.publicKey]).body.queryId)).toEqual(['q6', 'q7', 'q8']);
  });

  it('refuses an envelope the hub signed as something other than queries', async () => {
    const poll = sign({ batch: true }, { iss: 'hub', aud: 'carrier-b', typ: 'poll', key: hubKey });
    const res = await post({ queries: [poll] });
    expect([res.status, res.body.refused?.[0]?.reason]).toEqual([401, 'wrong-type: typ is "poll", expected "hop-query" or "hop-queries"']);
  });

  it('refuses with 401 when no query verifies, and a replayed query', async () => {
    const q = signed(query(5));
    const heard = nextAnswer();
    expect((await post({ queries: [q] })).status).toBe(202);
    await heard;
    const replay = await post({ queries: [q] });
    expect(replay.status).toBe(401);
    expect(replay.body.refused?.[0]?.reason).toMatch(/^replayed: /);
  });

  it.each([
    ['a GET', { method: 'GET' as const }, undefined, 405, '/v1/queries takes POST'],
    ['a body that is not JSON', { raw: '{"queries":' }, undefined, 400, 'body is not valid JSON'],
    ['no queries', {}, { queries: [] }, 400, 'queries: expected a non-empty array of signed hop queries'],
    ['queries that are not strings', {}, { queries: [1] }, 400, 'queries: expected a non-empty array of signed hop queries'],
    ['a body over the limit', { raw: JSON.stringify({ queries: ['x'.repeat(MAX_PUSH_BYTES)] }) }, undefined, 413, `body larger than ${MAX_PUSH_BYTES} bytes`],
  ])('refuses %s with the reason', async (_what, o, body, status, error) => {
    expect(await post(body, o)).toEqual({ status, body: { error } });
  });
});

describe('an agent configured for push mode', () => {
  it('serves the push endpoint on its HTTP server instead of polling the hub, and answers from its call index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-push-'));
    const keyFile = join(dir, 'agent.pem');
    writeFileSync(keyFile, privateKeyToPem(agentKey.privateKey), { mode: 0o600 });
    const { config } = loadAgentConfig({
      env: {},
      flags: ['--provider', 'carrier-b', '--http', '127.0.0.1:0', '--hub', `http://127.0.0.1:${(hub.address() as AddressInfo).port}`],
      file: writeYaml(join(dir, 'agent.yaml'), { hub: { mode: 'push', publicKeys: [publicKeyToRaw(hubKey.publicKey)] }, keys: { privateKeyFile: keyFile, kid: agentKey.kid } }),
    });
    const running = await startAgent(config, log);
    try {
      const heard = nextAnswer();
      const res = await request(`http://127.0.0.1:${running.httpPort}/v1/queries`, { method: 'POST', body: JSON.stringify({ queries: [signed(query(9))] }) });
      expect([res.statusCode, await res.body.json()]).toEqual([202, { accepted: 1, refused: [] }]);
      await heard;
      const v = verifyOffline<HopAnswer>(answers.at(-1)!, [agentKey.publicKey]);
      // Its memory call index holds no such call: the agent's own answer logic says so.
      expect([v.body.queryId, v.body.result, v.body.window?.from]).toEqual(['q9', 'not_found', '2026-11-28T11:57:30.000Z']);
    } finally {
      await running.stop();
    }
  });
});

function writeYaml(file: string, doc: unknown): string {
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/**
 * Replay protection shared through the site's Redis (a real redis-server): a query one agent instance took is
 * refused by a second instance and by the first after a restart, and the refusal is logged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../../../agent/agent.js';
import { HubLink } from '../../../agent/link/hub-link.js';
import { loadAgentConfig } from '../../../config/load.js';
import { PullLink } from '../../../agent/link/pull.js';
import { RedisJtiStore } from '../../../agent/link/redis-jti.js';
import { decode, EnvelopeError, sign } from '../../../proto/envelope.js';
import { generateKeyPair, privateKeyToPem, publicKeyToRaw } from '../../../proto/keys.js';
import type { HopQuery } from '../../../proto/messages.js';
import { type RedisServer, startRedis } from '../../helpers/redis.js';

const hubKey = generateKeyPair('hub');
const agentKey = generateKeyPair('agent');
let redis: RedisServer;
const stores: RedisJtiStore[] = [];

const query: HopQuery = { queryId: 'q1', tracebackId: 'case-1', call: { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30Z', windowSec: 120 }, askedBy: null, deadline: '2026-11-28T12:00:30Z' };

/** One agent instance's link, with its own connection to the shared Redis. */
function instance(log = pino({ level: 'silent' }), hubUrl = 'http://127.0.0.1:9'): HubLink {
  const jti = new RedisJtiStore({ url: redis.url, provider: 'carrier-b' });
  stores.push(jti);
  return new HubLink({
    hubUrl,
    hubId: 'hub',
    hubKeys: [hubKey.publicKey],
    provider: 'carrier-b',
    key: agentKey,
    log,
    handle: () => Promise.reject(new Error('not asked in this test')),
    jti,
  });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EnvelopeError);
  return (err as EnvelopeError).code;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await redis.stop();
});

describe('seen query jtis in the agent Redis', () => {
  it('refuses on a second instance a query the first one took', async () => {
    const jws = sign(query, { iss: 'hub', aud: 'carrier-b', typ: 'hop-query', key: hubKey });
    const [a, b] = [instance(), instance()];
    expect(await a.open(jws)).toEqual([query]);
    expect(await refusal(b.open(jws))).toBe('replayed');
    expect(await refusal(a.open(jws))).toBe('replayed');
  });

  it('refuses a replay after a restart, and logs it', async () => {
    const jws = sign({ ...query, queryId: 'q2' }, { iss: 'hub', aud: 'carrier-b', typ: 'hop-query', key: hubKey });
    expect(await instance().open(jws)).toHaveLength(1);
    await stores.pop()!.close();
    // The replay arrives the way queries do: the restarted instance's long poll returns it.
    const hub = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ queries: [jws] })));
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    const lines: { msg: string; err?: string }[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as { msg: string; err?: string }) });
    const restarted = instance(log, `http://127.0.0.1:${(hub.address() as AddressInfo).port}`);
    const poller = new PullLink(restarted, { waitSec: 1, log });
    poller.start();
    try {
      await expect.poll(() => lines.find((l) => l.msg === 'refused a hop query that failed verification')?.err).toContain(`jti ${decode(jws).claims.jti} was already seen`);
    } finally {
      await poller.stop();
      await restarted.close();
      await new Promise((r) => hub.close(r));
    }
    expect(await refusal(restarted.open(jws))).toBe('replayed');
  });

  it('keeps a jti only for the validity left, and apart per provider', async () => {
    const store = new RedisJtiStore({ url: redis.url, provider: 'carrier-c', now: () => 1_000 });
    stores.push(store);
    expect(await store.remember('j-ttl', 1_000 + 60_000)).toBe(true);
    expect(await store.remember('j-ttl', 1_000 + 60_000)).toBe(false);
    const other = new RedisJtiStore({ url: redis.url, provider: 'carrier-d' });
    stores.push(other);
    expect(await other.remember('j-ttl', Date.now() + 60_000)).toBe(true);
    const probe = new (await import('ioredis')).Redis(redis.url);
    const ttl = await probe.pttl('ht:jti:carrier-c:j-ttl');
    await probe.quit();
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe('agents configured with redis', () => {
  it('share the replay memory: a query pushed to one instance is refused by another and after a restart', async () => {
    // The hub stand-in takes the answers the agents post.
    const hub = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        // A request cut off when an agent stops arrives empty: refuse it as the hub would.
        if (!body) return void res.writeHead(400).end();
        const n = (JSON.parse(body) as { answers?: string[] }).answers?.length ?? 1;
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ results: Array.from({ length: n }, () => ({ status: 'open' })) }));
      });
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-jti-'));
    const keyFile = join(dir, 'agent.pem');
    writeFileSync(keyFile, privateKeyToPem(agentKey.privateKey), { mode: 0o600 });
    writeFileSync(join(dir, 'agent.yaml'), JSON.stringify({ redis: { url: redis.url }, hub: { mode: 'push', publicKeys: [publicKeyToRaw(hubKey.publicKey)] }, keys: { privateKeyFile: keyFile, kid: agentKey.kid } }));
    const { config } = loadAgentConfig({
      env: {},
      flags: ['--provider', 'carrier-b', '--http', '127.0.0.1:0', '--hub', `http://127.0.0.1:${(hub.address() as AddressInfo).port}`],
      file: join(dir, 'agent.yaml'),
    });
    const push = async (port: number, jws: string) => {
      const res = await request(`http://127.0.0.1:${port}/v1/queries`, { method: 'POST', body: JSON.stringify({ queries: [jws] }) });
      return { status: res.statusCode, body: (await res.body.json()) as { accepted: number; refused: { reason: string }[] } };
    };
    const jws = sign({ ...query, queryId: 'q3' }, { iss: 'hub', aud: 'carrier-b', typ: 'hop-query', key: hubKey });
    const silent = pino({ level: 'silent' });
    const [a, b] = [await startAgent(config, silent), await startAgent(config, silent)];
    try {
      expect(await push(a.httpPort, jws)).toEqual({ status: 202, body: { accepted: 1, refused: [] } });
      expect(await push(b.httpPort, jws)).toEqual({ status: 401, body: { accepted: 0, refused: [{ index: 0, reason: expect.stringContaining('already seen') }] } });
      await a.stop();
      const restarted = await startAgent(config, silent);
      try {
        expect((await push(restarted.httpPort, jws)).status).toBe(401);
      } finally {
        await restarted.stop();
      }
    } finally {
      await b.stop();
      await new Promise((r) => hub.close(r));
    }
  });
});

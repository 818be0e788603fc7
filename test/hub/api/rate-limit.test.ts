/**
 * Rate limits of the hub API (hub/api/rate-limit.ts): the token bucket on a test clock, then a real hub
 * (startHub with its configuration and a real Redis) limiting per bearer token and per agent signing key,
 * with 429 and Retry-After, logged, and a refused (401) request costing the named key nothing.
 */
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubConfig } from '../../../config/hub.js';
import { TokenBuckets } from '../../../hub/api/rate-limit.js';
import { newToken } from '../../../hub/auth.js';
import { HubClient } from '../../../hub/client.js';
import { startHub, type RunningHub } from '../../../hub/server.js';
import { sign } from '../../../proto/envelope.js';
import { generateKeyPair, publicKeyToRaw, type KeyPair } from '../../../proto/keys.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { tokensFile } from '../../hardening/tokens-file.js';

describe('TokenBuckets', () => {
  it('lets a burst through, then one request per 1/perSec, and says when to retry', () => {
    let now = 0;
    const b = new TokenBuckets({ perSec: 2, burst: 3 }, () => now);
    expect([b.take('k'), b.take('k'), b.take('k')].every((t) => t.ok)).toBe(true);
    expect(b.take('k')).toEqual({ ok: false, retryAfterSec: 1 });
    now += 499;
    expect(b.take('k').ok).toBe(false);
    now += 1;
    expect(b.take('k').ok).toBe(true);
    // Refill stops at the burst, however long the quiet spell.
    now += 3_600_000;
    expect(Array.from({ length: 4 }, () => b.take('k').ok)).toEqual([true, true, true, false]);
  });

  it('keeps keys apart, and gives a refunded token back up to the burst only', () => {
    const b = new TokenBuckets({ perSec: 1, burst: 1 }, () => 0);
    expect([b.take('a').ok, b.take('a').ok, b.take('b').ok]).toEqual([true, false, true]);
    b.refund('a');
    b.refund('a');
    expect([b.take('a').ok, b.take('a').ok]).toEqual([true, false]);
  });

  it('asks a slow bucket to wait as long as its next token takes', () => {
    const b = new TokenBuckets({ perSec: 0.1, burst: 1 }, () => 0);
    b.take('k');
    expect(b.take('k')).toEqual({ ok: false, retryAfterSec: 10 });
  });

  it('holds at most maxKeys buckets, whatever number of keys callers invent', () => {
    let now = 0;
    const b = new TokenBuckets({ perSec: 1, burst: 5 }, () => now, 1_000);
    for (let i = 0; i < 20_000; i++) {
      now += 1;
      b.take(`invented-${i}`);
    }
    expect(b.size).toBeLessThanOrEqual(1_000);
  });
});

describe('a hub with rate limits', () => {
  let redis: RedisServer;
  let hub: RunningHub;
  const logged: Record<string, unknown>[] = [];
  const { file, tokens } = tokensFile({ a: ['admin'], b: ['admin'], client: ['admin'] });
  const keys: Record<'term' | 'other', KeyPair> = { term: generateKeyPair('term-k1'), other: generateKeyPair('other-k1') };

  const get = async (path: string, authorization?: string) => {
    const res = await request(`${hub.url}${path}`, { headers: authorization ? { authorization } : {} });
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: (await res.body.json()) as Record<string, unknown> };
  };
  const poll = (id: 'term' | 'other', key = keys[id]) => `Hoptrace ${sign({}, { iss: id, aud: 'hub', typ: 'poll', key })}`;

  beforeAll(async () => {
    redis = await startRedis();
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    const cfg = HubConfig.parse({
      http: { listen: '127.0.0.1:0' },
      redis: { url: redis.url },
      tokens: { file },
      // Slow refills, so a loaded machine cannot refill a bucket between two requests of a test.
      rateLimit: { token: { perSec: 0.5, burst: 5 }, agent: { perSec: 0.2, burst: 4 } },
    });
    hub = await startHub(cfg, log);
    for (const [id, key] of Object.entries(keys)) {
      await hub.hub.registry.upsert({ id, name: id, reach: 'agent-pull', keys: [{ kid: key.kid, publicKey: publicKeyToRaw(key.publicKey) }] }, Date.now());
    }
  });
  afterAll(async () => {
    await hub?.stop();
    await redis?.stop();
  });

  it('answers a token over its limit with 429 and Retry-After, logged, while another token is served', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get('/v1/providers', `Bearer ${tokens.a}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const over = await get('/v1/providers', `Bearer ${tokens.a}`);
    expect(over.status).toBe(429);
    expect(Number(over.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(over.body.error).toMatch(/^rate limit: more than 0.5 requests per second for this token; retry after \d+ s$/);
    expect(logged.some((l) => l.msg === 'request refused' && l.status === 429)).toBe(true);
    expect((await get('/v1/providers', `Bearer ${tokens.b}`)).status).toBe(200);
    // Retry-After is honest: after it, the token is served again.
    await new Promise((r) => setTimeout(r, Number(over.retryAfter) * 1000));
    expect((await get('/v1/providers', `Bearer ${tokens.a}`)).status).toBe(200);
  });

  it('has the HubClient wait out a 429 as Retry-After says, and get its answer', async () => {
    const client = new HubClient(hub.url, tokens.client);
    try {
      const started = Date.now();
      const lists = [];
      for (let i = 0; i < 6; i++) lists.push(await client.listProviders());
      expect(lists.every((l) => l.length === 2)).toBe(true);
      // The sixth waited for the bucket (0.5 per second: a 2 s Retry-After).
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
      expect(logged.filter((l) => l.msg === 'request refused' && l.status === 429).length).toBeGreaterThanOrEqual(1);
    } finally {
      await client.close();
    }
  });

  it('does not let unknown tokens cost anything: they get 401 every time, never 429', async () => {
    const invented = newToken();
    const statuses = new Set<number>();
    for (let i = 0; i < 12; i++) statuses.add((await get('/v1/providers', `Bearer ${invented}`)).status);
    expect([...statuses]).toEqual([401]);
  });

  it('limits an agent by its signing key: polls over the limit get 429, another agent is served', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get('/v1/agent/queries?wait=0', poll('term'))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await get('/v1/agent/queries?wait=0', poll('other'))).status).toBe(200);
  });

  it("does not let forged envelopes naming an agent's key drain that agent's bucket", async () => {
    // Forged polls in the name of other's key: each refused as unauthentic, none counted against other.
    const forger = generateKeyPair(keys.other.kid);
    for (let i = 0; i < 10; i++) {
      const res = await get('/v1/agent/queries?wait=0', poll('other', forger));
      expect([res.status, res.body.code]).toEqual([401, 'bad-signature']);
    }
    expect((await get('/v1/agent/queries?wait=0', poll('other'))).status).toBe(200);
  });
});

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_BYTES } from '../../../agent/calls/codec.js';
import { layoutOf, shardOf } from '../../../agent/calls/layout.js';
import { createRedisCallIndex } from '../../../agent/calls/redis-index.js';
import { StoreUnavailableError, type CallIndex } from '../../../agent/calls/store.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { call, callIndexContract } from './contract.js';

let server: RedisServer;
let admin: Redis;
let prefixes = 0;
/** Each index gets its own key prefix: tests share one redis-server without seeing each other's calls. */
const nextPrefix = () => `t${++prefixes}:`;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

callIndexContract('redis', (options) => createRedisCallIndex({ url: server.url, keyPrefix: nextPrefix(), ...options }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const T = Date.now() - 60_000;

describe('redis call index: keys', () => {
  it('puts every key of a called number under the hash tag of its shard, the dictionary under {dict} and the counts under {count}', async () => {
    const keyPrefix = nextPrefix();
    const index = createRedisCallIndex({ url: server.url, keyPrefix, retentionDays: 30, bucketSec: 3600 });
    try {
      const called = ['+12025550143', '+12025550144', '+447700900123'];
      await index.add(called.flatMap((c) => [call({ called: c, at: T }), call({ called: c, at: T - 7_200_000, calling: 'restricted' })]));
      const layout = layoutOf({ retentionDays: 30, bucketSec: 3600 });
      const keys = await admin.keys(`${keyPrefix}*`);
      const tags = new Set(keys.filter((k) => !k.includes('{dict}') && !k.includes('{count}')).map((k) => /^[^{]*\{([^}]*)\}/.exec(k)?.[1]));
      expect(tags).toEqual(new Set(called.map((c) => String(shardOf(layout, c)))));
      expect(keys.filter((k) => k.endsWith(':x'))).toHaveLength(called.length);
      expect(keys.filter((k) => k.includes('{dict}')).every((k) => k.startsWith(`${keyPrefix}{dict}:`))).toBe(true);
      expect(keys.filter((k) => k.includes('{count}')).sort()).toEqual([`${keyPrefix}{count}:${Math.floor((T - 7_200_000) / 3_600_000)}`, `${keyPrefix}{count}:${Math.floor(T / 3_600_000)}`]);
    } finally {
      await index.close();
    }
  });

  it('sets each bucket key (entries, extras, count) to expire at its bucket end + retention, and the keys vanish then', async () => {
    const keyPrefix = nextPrefix();
    const index = createRedisCallIndex({ url: server.url, keyPrefix, retentionDays: 2 / 86_400, bucketSec: 1 });
    try {
      const now = Date.now();
      await index.add([call({ at: now, calling: 'restricted' })]);
      const keys = (await admin.keys(`${keyPrefix}{*`)).filter((k) => !k.includes('{dict}'));
      expect(keys).toHaveLength(3);
      const expiresAt = (Math.floor(now / 1000) + 1) * 1000 + 2000;
      for (const key of keys) expect(await admin.pexpiretime(key)).toBe(expiresAt);
      await sleep(expiresAt - Date.now() + 50);
      expect(await admin.exists(...keys)).toBe(0);
    } finally {
      await index.close();
    }
  });

  it('seals a closed bucket at its exact size, keeping its calls and expiry, and seals it again after a late append', async () => {
    const keyPrefix = nextPrefix();
    const index = createRedisCallIndex({ url: server.url, keyPrefix, retentionDays: 1, bucketSec: 1 });
    try {
      // A bucket is sealed once the bucket after it has ended too.
      const at = Math.floor(Date.now() / 1000) * 1000 - 5000;
      const calls = (first: number) => Array.from({ length: 40 }, (_, i) => call({ at: at + first + i }));
      const key = `${keyPrefix}{${shardOf(layoutOf({ retentionDays: 1, bucketSec: 1 }), '+12025550143')}}:${at / 1000}`;
      const usage = async () => Number(await admin.call('MEMORY', 'USAGE', key));
      for (const first of [0, 40, 80]) await index.add(calls(first));
      const expiresAt = await admin.pexpiretime(key);
      const grown = await usage();
      await index.seal();
      const exactBytes = 120 * ENTRY_BYTES;
      expect(await usage()).toBeLessThan(grown);
      expect(await usage()).toBeLessThan(exactBytes * 1.25);
      expect(await admin.pexpiretime(key)).toBe(expiresAt);
      expect(await index.lookup('+12025550143', at, at + 999, 1000)).toHaveLength(120);

      for (const first of [120, 160]) await index.add(calls(first));
      await index.seal();
      expect(await usage()).toBeLessThan(200 * ENTRY_BYTES * 1.25);
      expect(await index.lookup('+12025550143', at, at + 999, 1000)).toHaveLength(200);
    } finally {
      await index.close();
    }
  });

  it('leases file terms in a sorted set under {dict}, trims those past retention with both hash entries, and gives their ids again', async () => {
    const keyPrefix = nextPrefix();
    const index = createRedisCallIndex({ url: server.url, keyPrefix, retentionDays: 1 / 86_400, bucketSec: 1, fileTrimGraceMs: 0 });
    const dict = (part: string) => `${keyPrefix}{dict}:file:${part}`;
    const cdr = (name: string, called: string) => call({ at: Date.now(), called, source: 'cdr:acme', evidence: { file: `/var/cdr/${name}.csv`, offset: 0, fileKey: '64768:12' } });
    try {
      const old = cdr('old', '+12025550101');
      await index.add([old]);
      const bucket = Math.floor(old.at / 1000);
      const expiresAt = (bucket + 1) * 1000 + 1000;
      expect(await admin.zrange(dict('until'), '0', '-1', 'WITHSCORES')).toEqual(['1', String(expiresAt)]);
      const oldKey = `${keyPrefix}{${shardOf(layoutOf({ retentionDays: 1, bucketSec: 1 }), old.called)}}:${bucket}`;
      expect(await admin.exists(oldKey)).toBe(1);
      await sleep(expiresAt - Date.now() + 100);
      const recent = cdr('recent', '+12025550102');
      await index.add([recent]);
      await index.trimFiles();
      // Its calls were gone already: the bucket keys expired before the term was trimmed.
      expect(await admin.exists(oldKey)).toBe(0);
      expect(await admin.hkeys(dict('ids'))).toEqual(['/var/cdr/recent.csv\u000064768:12']);
      expect(await admin.hvals(dict('terms'))).toEqual(['/var/cdr/recent.csv\u000064768:12']);
      expect(await admin.zcard(dict('until'))).toBe(1);
      // Three new files take the freed id and one more: ids stay as few as the files within retention.
      const fresh = ['a', 'b', 'c'].map((name, i) => cdr(name, `+1202555011${i}`));
      await index.add(fresh);
      expect(Number(await admin.get(dict('seq')))).toBe(4);
      expect((await admin.hvals(dict('ids'))).map(Number).sort()).toEqual([1, 2, 3, 4]);
      for (const r of [recent, ...fresh]) expect(await index.lookup(r.called, r.at - 1000, r.at + 1000)).toEqual([r]);
    } finally {
      await index.close();
    }
  });

  it('expires a bucket key at the earliest expiry any append computed: after retention was lowered, a trimmed file id given again never names its calls', async () => {
    const keyPrefix = nextPrefix();
    const options = { url: server.url, keyPrefix, bucketSec: 1, fileTrimGraceMs: 0 };
    // The agent ran with a longer retention, and restarts with a shorter one.
    const before = createRedisCallIndex({ ...options, retentionDays: 60 / 86_400 });
    const after = createRedisCallIndex({ ...options, retentionDays: 1 / 86_400 });
    const cdr = (name: string, at: number, called = '+12025550143') =>
      call({ at, called, source: 'cdr:acme', evidence: { file: `/var/cdr/${name}.csv`, offset: 0, fileKey: '64768:12' } });
    try {
      const at = Date.now();
      const key = `${keyPrefix}{${shardOf(layoutOf({ retentionDays: 1, bucketSec: 1 }), '+12025550143')}}:${Math.floor(at / 1000)}`;
      const expiresAt = (Math.floor(at / 1000) + 1) * 1000 + 1000;
      await before.add([cdr('f', at)]);
      expect(await admin.pexpiretime(key)).toBe(expiresAt + 59_000);
      const g = cdr('g', at + 1);
      await after.add([g]);
      expect(await admin.pexpiretime(key)).toBe(expiresAt);
      await sleep(expiresAt - Date.now() + 100);
      expect(await after.trimFiles()).toBe(1);
      // H takes G's id; G's calls went with their bucket key rather than being read as H's.
      const h = cdr('h', Date.now(), '+12025550199');
      await after.add([h]);
      const ids = await admin.hgetall(`${keyPrefix}{dict}:file:ids`);
      expect(ids).toEqual({ '/var/cdr/f.csv\u000064768:12': '1', '/var/cdr/h.csv\u000064768:12': '2' });
      expect(await after.lookup(g.called, g.at - 1000, g.at + 1000)).toEqual([]);
      expect(await after.lookup(h.called, h.at - 1000, h.at + 1000)).toEqual([h]);
    } finally {
      await before.close();
      await after.close();
    }
  });

  it('keeps a file term for the grace after its lease ended: its id is not given again while a lookup may still resolve it', async () => {
    const keyPrefix = nextPrefix();
    const index = createRedisCallIndex({ url: server.url, keyPrefix, retentionDays: 1 / 86_400, bucketSec: 1 });
    const dict = (part: string) => `${keyPrefix}{dict}:file:${part}`;
    const cdr = (name: string, called: string) => call({ at: Date.now(), called, source: 'cdr:acme', evidence: { file: `/var/cdr/${name}.csv`, offset: 0, fileKey: '64768:12' } });
    try {
      const old = cdr('old', '+12025550101');
      await index.add([old]);
      await sleep((Math.floor(old.at / 1000) + 1) * 1000 + 1000 - Date.now() + 100);
      expect(await index.trimFiles()).toBe(0);
      expect(await admin.hget(dict('terms'), '1')).toBe('/var/cdr/old.csv\u000064768:12');
      const next = cdr('next', '+12025550102');
      await index.add([next]);
      expect(await admin.hget(dict('ids'), '/var/cdr/next.csv\u000064768:12')).toBe('2');
      expect(await index.lookup(next.called, next.at - 1000, next.at + 1000)).toEqual([next]);
    } finally {
      await index.close();
    }
  });

  it('leases a file term interned before leases existed for at least retention and a bucket from now, however old the call', async () => {
    const keyPrefix = nextPrefix();
    const retentionMs = 30 * 86_400_000;
    const index = createRedisCallIndex({ url: server.url, keyPrefix, retentionDays: 30, bucketSec: 3600 });
    const dict = (part: string) => `${keyPrefix}{dict}:file:${part}`;
    const legacy = '/var/cdr/legacy.csv\u000064768:12';
    await admin.hset(dict('ids'), legacy, '1');
    await admin.hset(dict('terms'), '1', legacy);
    await admin.set(dict('seq'), '1');
    const at = Date.now() - 20 * 86_400_000;
    const cdr = (name: string, calledNumber: string) => call({ at, called: calledNumber, source: 'cdr:acme', evidence: { file: `/var/cdr/${name}.csv`, offset: 0, fileKey: '64768:12' } });
    try {
      const calls = [cdr('legacy', '+12025550101'), cdr('new', '+12025550102')];
      const started = Date.now();
      await index.add(calls);
      const done = Date.now();
      const leased = Number(await admin.zscore(dict('until'), '1'));
      expect(leased).toBeGreaterThanOrEqual(started + retentionMs + 3_600_000);
      expect(leased).toBeLessThanOrEqual(done + retentionMs + 3_600_000);
      // A term leased before keeps the lease its bucket asks for.
      expect(Number(await admin.zscore(dict('until'), '2'))).toBe((Math.floor(at / 3_600_000) + 1) * 3_600_000 + retentionMs);
      for (const r of calls) expect(await index.lookup(r.called, at - 1000, at + 1000)).toEqual([r]);
    } finally {
      await index.close();
    }
  });

  it('lets a second agent instance on the same Redis read what the first indexed, ingress included', async () => {
    const keyPrefix = nextPrefix();
    const writer = createRedisCallIndex({ url: server.url, keyPrefix, retentionDays: 30, bucketSec: 3600 });
    const reader = createRedisCallIndex({ url: server.url, keyPrefix, retentionDays: 30, bucketSec: 3600 });
    try {
      const record = call({ at: T, ingress: { trunkGroup: 'TG-9' }, identity: { attest: 'A', verified: true, signer: 'OCN 1234' } });
      await writer.add([record]);
      expect(await reader.lookup(record.called, T - 1000, T + 1000)).toEqual([record]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});

describe('redis call index: when Redis is down', () => {
  let own: RedisServer;
  const indexes: CallIndex[] = [];
  const open = () => {
    const index = createRedisCallIndex({ url: own.url, retentionDays: 30, bucketSec: 3600 });
    indexes.push(index);
    return index;
  };
  beforeAll(async () => {
    own = await startRedis(['--enable-debug-command', 'yes']);
  });
  afterAll(async () => {
    for (const index of indexes) await index.close();
    await own.stop();
  });

  const within = async <T>(ms: number, promise: Promise<T>): Promise<PromiseSettledResult<T>> => {
    const started = Date.now();
    const [settled] = await Promise.allSettled([promise]);
    expect(Date.now() - started).toBeLessThan(ms);
    return settled as PromiseSettledResult<T>;
  };

  it('fails lookups within 1 s and pings false while Redis stops answering, and keeps the connection for later', async () => {
    const index = open();
    const record = call({ at: T });
    await index.add([record]);
    const sleeper = new Redis(own.url);
    try {
      const asleep = sleeper.call('DEBUG', 'SLEEP', '2.5');
      await sleep(100);
      const lookup = await within(1500, index.lookup(record.called, T - 1000, T + 1000));
      expect(lookup.status === 'rejected' && lookup.reason).toBeInstanceOf(StoreUnavailableError);
      expect(((await within(1500, index.ping())) as PromiseFulfilledResult<boolean>).value).toBe(false);
      await asleep;
      expect(await index.lookup(record.called, T - 1000, T + 1000)).toEqual([record]);
    } finally {
      sleeper.disconnect();
    }
  });

  it('rejects add and lookup with StoreUnavailableError within 2 s, pings false, and works again after a restart', async () => {
    const index = open();
    await index.add([call({ at: T })]);
    await own.kill();

    const add = await within(2000, index.add([call({ at: T + 1 })]));
    expect(add.status === 'rejected' && add.reason).toBeInstanceOf(StoreUnavailableError);
    expect(add.status === 'rejected' && (add.reason as Error).message).toBe('store unavailable during add');
    const lookup = await within(2000, index.lookup('+12025550143', T - 1000, T + 1000));
    expect(lookup.status === 'rejected' && lookup.reason).toBeInstanceOf(StoreUnavailableError);
    expect(((await within(2000, index.ping())) as PromiseFulfilledResult<boolean>).value).toBe(false);

    await own.restart();
    const until = Date.now() + 5000;
    while (!(await index.ping()) && Date.now() < until) await sleep(50);
    // This Redis keeps nothing across a restart: the call indexed before is gone, new ones are indexed.
    const after = call({ at: T + 2, ingress: { ip: '203.0.113.9' } });
    await index.add([after]);
    expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual([after]);
  });

  it('re-establishes dictionary ids after a Redis that lost its data comes back, so other instances can read new calls', async () => {
    const writer = open();
    const before = call({ at: T, ingress: { ip: '192.0.2.10' }, source: 'cdr:asterisk' });
    await writer.add([before]);
    await own.kill();
    await own.restart();
    const until = Date.now() + 5000;
    while (!(await writer.ping()) && Date.now() < until) await sleep(50);
    const again = { ...before, at: T + 1 };
    await writer.add([again]);
    expect(await open().lookup(again.called, T - 1000, T + 1000)).toEqual([again]);
  });
});

/**
 * Agents syncing the hub's DNO list: a real hub on a socket with its list in Redis, agent instances sharing a
 * site cache in another Redis, each with its LiveDno, deciding calls through the snapshot as the policy server does.
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decide, type DecideContext } from '../../../agent/dno/decide.js';
import { LiveDno } from '../../../agent/dno/live.js';
import { dnoMetrics } from '../../../agent/dno/metrics.js';
import { RedisDnoCache } from '../../../agent/dno/redis-cache.js';
import { DnoSync } from '../../../agent/dno/sync.js';
import { generateKeyPair, type KeyPair } from '../../../proto/keys.js';
import { normalise } from '../../../proto/tn.js';
import { type DnoHub, silent, startDnoHub } from '../../helpers/dno-hub.js';
import { type RedisServer, startRedis } from '../../helpers/redis.js';

let hubRedis: RedisServer;
let siteRedis: RedisServer;
let t: DnoHub;
let agentKey: KeyPair;
let sites = 0;

beforeAll(async () => {
  [hubRedis, siteRedis] = await Promise.all([startRedis(), startRedis()]);
  t = await startDnoHub({ redisUrl: hubRedis.url });
  agentKey = await t.provider('carrier-a');
});
afterAll(async () => {
  await t.stop();
  await Promise.all([hubRedis.stop(), siteRedis.stop()]);
});

interface Instance {
  cache: RedisDnoCache;
  live: LiveDno;
  sync: DnoSync;
  metrics: Registry;
  stop(): Promise<void>;
}

const running: Instance[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
});

/** One agent instance of `site`: cache, live snapshot and sync, as agent/dno/start.ts wires them. */
async function instance(site: string, o: { hubKeys?: KeyPair[]; followMs?: number; hub?: DnoHub; key?: KeyPair } = {}): Promise<Instance> {
  const hub = o.hub ?? t;
  const cache = new RedisDnoCache({ url: siteRedis.url, site });
  const live = new LiveDno({ cache, log: silent, pollMs: 60_000 });
  await live.start();
  const metrics = new Registry();
  let sync: DnoSync | undefined;
  const m = dnoMetrics(metrics, { snapshot: () => live.snapshot, leader: () => sync?.leader ?? false });
  sync = new DnoSync({
    cache,
    hubUrl: hub.url,
    hubId: 'hub',
    hubKeys: (o.hubKeys ?? [hub.key]).map((k) => k.publicKey),
    provider: 'carrier-a',
    key: o.key ?? agentKey,
    waitSec: 5,
    log: silent,
    followMs: o.followMs ?? 200,
    onSynced: (s) => m.synced(s),
  });
  sync.start();
  const i: Instance = {
    cache,
    live,
    sync,
    metrics,
    async stop() {
      await sync!.stop();
      live.stop();
      await cache.close();
    },
  };
  running.push(i);
  return i;
}

const site = () => `site-${++sites}`;
const ctx = (i: Instance): DecideContext => ({
  snapshot: i.live.snapshot,
  actions: { listed: 'block', invalid: 'block', unallocated: 'block', unassigned: 'monitor' },
  emergency: [],
});
const call = (calling: string, called = '+13035550100') => ({ calling: normalise(calling), called });

/** Resolves with how long it took until `check` held, polling every 10 ms; rejects after `withinMs`. */
async function within(withinMs: number, check: () => boolean): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

async function synced(i: Instance, hub = t): Promise<void> {
  const { version, list } = await hub.api().summary();
  await within(10_000, () => i.live.snapshot.version === version && i.live.snapshot.list === list);
}

describe('DNO sync from the hub', () => {
  it('a number added on the hub is blocked by a connected agent within a second, and allowed again once removed', { retry: 2 }, async () => {
    const a = await instance(site());
    await synced(a);
    expect(decide(call('+12025550100'), ctx(a)).action).toBe('continue');

    await t.api().add([{ number: '+12025550100', category: 'listed', reason: 'IRS inbound-only' }]);
    const tookMs = await within(1000, () => decide(call('+12025550100'), ctx(a)).action === 'block');
    expect(tookMs).toBeLessThan(1000);
    expect(decide(call('+12025550100'), ctx(a))).toMatchObject({ action: 'block', category: 'listed', rule: 'listed:+12025550100' });

    await t.api().remove(['+12025550100']);
    await within(1000, () => decide(call('+12025550100'), ctx(a)).action === 'continue');
  });

  it('two instances on one Redis both switch; one syncs, the other follows the cache', async () => {
    const name = site();
    const a = await instance(name);
    const b = await instance(name);
    await Promise.all([synced(a), synced(b)]);
    expect([a.sync.leader, b.sync.leader].sort()).toEqual([false, true]);

    await t.api().add([{ number: '+12025550101', category: 'unassigned' }]);
    await within(1000, () => [a, b].every((i) => decide(call('+12025550101'), ctx(i)).action === 'monitor'));
    await t.api().remove(['+12025550101']);
    await within(1000, () => [a, b].every((i) => decide(call('+12025550101'), ctx(i)).action === 'continue'));
  });

  it('an instance restarted while the hub changed the list catches up', async () => {
    const name = site();
    const first = await instance(name);
    await synced(first);
    const before = await first.cache.version();
    await first.stop();
    running.splice(running.indexOf(first), 1);

    await t.api().add([{ number: '+12025550102', category: 'listed' }]);
    await t.api().import('+12025550103,invalid,spoofed a lot\n');
    const again = await instance(name);
    await within(2000, () => decide(call('+12025550103'), ctx(again)).action === 'block');
    expect(decide(call('+12025550102'), ctx(again)).action).toBe('block');
    expect(await again.cache.version()).toBe(before + 2);
  });

  it('when the syncing instance died without handing the lease back, another takes it once it lapses', async () => {
    const name = site();
    const ghost = new RedisDnoCache({ url: siteRedis.url, site: name });
    expect(await ghost.acquireSyncLease('crashed-instance', 800)).toBe(true);
    await ghost.close();
    const a = await instance(name, { followMs: 100 });
    await new Promise((r) => setTimeout(r, 300));
    expect(a.sync.leader).toBe(false);
    await within(3000, () => a.sync.leader);
    await synced(a);
  });

  it('an empty site cache takes the whole list, streamed', async () => {
    await t.api().import(Array.from({ length: 30_000 }, (_, i) => `+14045${String(i).padStart(6, '0')}`).join('\n'), { category: 'unallocated' });
    const a = await instance(site());
    await synced(a);
    const { total } = await t.api().summary();
    expect(a.live.snapshot.counts.numbers + a.live.snapshot.counts.intervals).toBe(total);
    expect(decide(call('+14045029999'), ctx(a))).toMatchObject({ action: 'block', category: 'unallocated' });
    const text = await a.metrics.metrics();
    expect(text).toMatch(new RegExp(`hoptrace_dno_list_version ${a.live.snapshot.version}\\b`));
    expect(text).toMatch(/hoptrace_dno_list_entries\{category="unallocated"\} 30000\b/);
    expect(text).toMatch(/hoptrace_dno_syncs_total\{kind="full"\} 1\b/);
    expect(text).toMatch(/hoptrace_dno_sync_leader 1\b/);
  }, 30_000);

  it('stops promptly in the middle of taking a whole list, leaving the cache as it was', async () => {
    const a = await instance(site());
    await new Promise((r) => setTimeout(r, 30));
    const started = Date.now();
    await a.stop();
    running.splice(running.indexOf(a), 1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('applies nothing whose seal does not verify with the configured hub key', async () => {
    const a = await instance(site(), { hubKeys: [generateKeyPair()] });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await a.cache.version()).toBe(0);
    expect(a.live.snapshot.version).toBe(0);
  });

  it('reports the lag from the hub’s change to the agent applying it', async () => {
    const a = await instance(site());
    await synced(a);
    await t.api().add([{ number: '+12025550104', category: 'listed' }]);
    await within(1000, () => decide(call('+12025550104'), ctx(a)).action === 'block');
    const lag = /hoptrace_dno_sync_lag_seconds ([0-9.e-]+)/.exec(await a.metrics.metrics());
    expect(Number(lag?.[1])).toBeGreaterThanOrEqual(0);
    expect(Number(lag?.[1])).toBeLessThan(1);
  });

  it('after the hub\'s store was wiped, a site holding a version of the old list takes the whole new list', async () => {
    const redis = await startRedis();
    const name = site();
    let hub = await startDnoHub({ redisUrl: redis.url });
    try {
      let key = await hub.provider('carrier-a');
      await hub.api().add([{ number: '+12025550110', category: 'listed' }]);
      await hub.api().add([{ number: '+12025550111', category: 'listed' }]);
      const first = await instance(name, { hub, key });
      await synced(first, hub);
      const old = first.live.snapshot;
      await first.stop();
      running.splice(running.indexOf(first), 1);

      // The hub's Redis is wiped; the list is made again and has moved past the site's version.
      await hub.stop();
      const raw = new Redis(redis.url);
      await raw.flushall();
      await raw.quit();
      hub = await startDnoHub({ redisUrl: redis.url });
      key = await hub.provider('carrier-a');
      for (const n of ['+12025550120', '+12025550121', '+12025550122']) await hub.api().add([{ number: n, category: 'listed' }]);
      const now = await hub.api().summary();
      expect(now.list).not.toBe(old.list);
      expect(now.version).toBeGreaterThan(old.version);

      const again = await instance(name, { hub, key });
      await synced(again, hub);
      expect(decide(call('+12025550110'), ctx(again)).action).toBe('continue');
      expect(decide(call('+12025550111'), ctx(again)).action).toBe('continue');
      expect(decide(call('+12025550121'), ctx(again)).action).toBe('block');
      expect(await again.cache.position()).toEqual({ list: now.list, version: now.version });
    } finally {
      await hub.stop();
      await redis.stop();
    }
  });
});

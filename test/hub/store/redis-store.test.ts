import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../agent/calls/store.js';
import type { Case } from '../../../hub/case.js';
import { RedisHubStore } from '../../../hub/store/redis-store.js';
import { startRedis, type RedisServer } from '../../helpers/redis.js';
import { aCase, aQuery, hear, hubStoreContract, next } from './contract.js';

let server: RedisServer;
let clusterNode: RedisServer;
let prefixes = 0;

/** A one-node Redis Cluster owning every slot: a command or transaction across slots fails there with CROSSSLOT. */
async function startClusterNode(): Promise<RedisServer> {
  const node = await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']);
  const admin = new Redis(node.url);
  await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  for (let i = 0; !String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok'); i++) {
    if (i > 100) throw new Error('one-node cluster did not become ok');
    await new Promise((r) => setTimeout(r, 50));
  }
  admin.disconnect();
  return node;
}

function pair(url: string): Promise<[RedisHubStore, RedisHubStore]> {
  const keyPrefix = `ht:test${++prefixes}:`;
  return Promise.resolve([new RedisHubStore({ url, keyPrefix }), new RedisHubStore({ url, keyPrefix })]);
}

async function eventually(check: () => Promise<boolean>, withinMs = 5_000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not true within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  [server, clusterNode] = await Promise.all([startRedis(), startClusterNode()]);
});
afterAll(async () => {
  await Promise.all([server.stop(), clusterNode.stop()]);
});

hubStoreContract('redis', () => pair(server.url));
hubStoreContract('redis on a cluster node', () => pair(clusterNode.url));

describe('redis hub store', () => {
  it('keeps a case as a hash under ht:hub:case:{id} (JSON of its head, a field per hop, rev, index memberships), and jtis until their expiry', async () => {
    const store = new RedisHubStore({ url: server.url });
    const raw = new Redis(server.url);
    try {
      await store.createCase(aCase('layout-1', { campaign: 'irs' }));
      const stored = await raw.hgetall('ht:hub:case:{layout-1}');
      const { hops, ...head } = aCase('layout-1', { campaign: 'irs' });
      expect(JSON.parse(stored.json!)).toEqual({ ...head, hops: 1 });
      expect(JSON.parse(stored['h:0']!)).toEqual(hops[0]);
      expect([stored.rev, JSON.parse(stored.idx!)]).toEqual(['0', ['all', 'status:open', 'campaign:irs']]);
      await store.saveCase(next(aCase('layout-1', { campaign: 'irs' }), { status: 'loop' }));
      const saved = await raw.hmget('ht:hub:case:{layout-1}', 'rev', 'idx');
      expect([saved[0], JSON.parse(saved[1]!)]).toEqual(['1', ['all', 'status:loop', 'campaign:irs']]);
      const expiresAt = Date.now() + 90_000;
      await store.remember('layout-jti', expiresAt);
      expect(Number(await raw.call('PEXPIRETIME', 'ht:hub:jti:layout-jti'))).toBe(expiresAt);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it('keeps each hop in a field of its own and writes only the hops a save changes: a signed answer crosses once', async () => {
    const store = new RedisHubStore({ url: server.url, keyPrefix: 'ht:answers:' });
    const raw = new Redis(server.url);
    const written: string[] = [];
    const monitor = await raw.duplicate().monitor();
    monitor.on('monitor', (_time: string, args: string[]) => written.push(args.join(' ')));
    try {
      const c = aCase('answers-1');
      await store.createCase(c);
      const jws = 'eyJhbGciOiJFZERTQSJ9.eyJib2R5Ijp7fX0.c2lnbmF0dXJl';
      const answer = { queryId: 'answers-1-q1', tracebackId: 'answers-1', provider: 'term-co', result: 'upstream' as const, matches: [], window: { from: '2025-06-01T11:57:00Z', to: '2025-06-01T12:01:00Z' }, answeredAt: '2025-06-01T12:00:01Z', agentVersion: '0.1.0' };
      const v1 = next(c, { hops: [{ ...c.hops[0]!, state: 'answered', answer, answerJws: jws, answerKeys: [{ kid: 'k1', publicKey: 'AAAA' }] }] });
      await store.saveCase(v1, c);
      await new Promise((resolve) => setTimeout(resolve, 50)); // MONITOR lines of v1's save arrive
      written.length = 0;
      // As the engine makes a version: the hops it does not change are the objects of the one before.
      const v2: Case = { ...v1, status: 'originated', rev: v1.rev + 1 };
      await store.saveCase(v2, v1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stored = await raw.hgetall('ht:answers:case:{answers-1}');
      expect(stored.json).not.toContain(jws);
      expect(JSON.parse(stored['h:0']!)).toEqual(v1.hops[0]);
      expect(JSON.parse(stored.json!)).toMatchObject({ id: 'answers-1', status: 'originated', hops: 1, rev: 2 });
      expect(await store.getCase('answers-1')).toEqual(v2);
      // The next save sent the case's head without the hop it already holds.
      expect(written.some((command) => command.includes('answers-1'))).toBe(true);
      expect(written.filter((command) => command.includes(jws))).toEqual([]);
    } finally {
      monitor.disconnect();
      raw.disconnect();
      await store.close();
    }
  });

  it('reads a case stored whole (its hops inside its JSON, as before hop fields) and saves it on in the new layout', async () => {
    const store = new RedisHubStore({ url: server.url, keyPrefix: 'ht:whole:' });
    const raw = new Redis(server.url);
    try {
      const c = aCase('whole-1');
      await raw.hset('ht:whole:case:{whole-1}', 'rev', '0', 'idx', JSON.stringify(['all', 'status:open']), 'json', JSON.stringify(c));
      expect(await store.getCase('whole-1')).toEqual(c);
      // As the engine makes a version: its unchanged hop is the object the version before holds, so it is not sent.
      const v1: Case = { ...c, status: 'loop', rev: 1 };
      await store.saveCase(v1, c);
      expect(await store.getCase('whole-1')).toEqual(v1);
      expect(JSON.parse((await raw.hget('ht:whole:case:{whole-1}', 'h:0'))!)).toEqual(c.hops[0]);
      expect(await store.listCases({ status: 'loop' })).toEqual([v1]);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it('sends every hop again when a hub of an earlier version saved the case whole since (its hop fields are behind)', async () => {
    const store = new RedisHubStore({ url: server.url, keyPrefix: 'ht:mixed:' });
    const raw = new Redis(server.url);
    try {
      const c = aCase('mixed-1');
      await store.createCase(c);
      // An earlier version moves the case on: rev and JSON rewritten whole, the hop fields left as they were.
      const answered: Case = { ...next(c), hops: [{ ...c.hops[0]!, state: 'answered', answeredAt: c.createdAt + 5 }] };
      await raw.hset('ht:mixed:case:{mixed-1}', 'rev', '1', 'json', JSON.stringify(answered));
      expect(await store.getCase('mixed-1')).toEqual(answered);
      // This version goes on from what it read: the hop it did not change is not sent, yet must be stored right.
      const v2: Case = { ...answered, detail: 'reviewed', rev: 2 };
      await store.saveCase(v2, answered);
      expect(JSON.parse((await raw.hget('ht:mixed:case:{mixed-1}', 'h:0'))!)).toEqual(answered.hops[0]);
      expect(await store.getCase('mixed-1')).toEqual(v2);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it('announces an enqueue only into an empty queue, and each such enqueue, from any instance', async () => {
    const [a, b] = [new RedisHubStore({ url: server.url, keyPrefix: 'ht:announce:' }), new RedisHubStore({ url: server.url, keyPrefix: 'ht:announce:' })];
    const sub = new Redis(server.url);
    const heard: string[] = [];
    try {
      sub.on('message', (_channel: string, queryId: string) => heard.push(queryId));
      await sub.subscribe('ht:announce:q:term-co');
      for (const id of ['q1', 'q2', 'q3']) await a.enqueue('term-co', aQuery(id, 'c1'));
      expect((await b.take('term-co', 10)).map((q) => q.queryId)).toEqual(['q1', 'q2', 'q3']);
      await b.enqueue('term-co', aQuery('q4', 'c1'));
      await a.enqueue('term-co', aQuery('q5', 'c1'));
      await eventually(async () => heard.length === 2);
      expect(heard).toEqual(['q1', 'q4']);
    } finally {
      sub.disconnect();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps a channel subscribed after its last listener left, and calls a new listener on it at once', async () => {
    const [a, b] = [new RedisHubStore({ url: server.url, keyPrefix: 'ht:linger:' }), new RedisHubStore({ url: server.url, keyPrefix: 'ht:linger:' })];
    const raw = new Redis(server.url);
    const channel = 'ht:linger:q:term-co';
    const subscribers = async () => ((await raw.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1];
    try {
      const first = hear(a, 'term-co');
      await first.next();
      first.unsubscribe();
      expect(await subscribers()).toBe(1);
      const again = hear(a, 'term-co');
      await again.next();
      const heard = again.next();
      await b.enqueue('term-co', aQuery('q1', 'c1'));
      await heard;
      expect(again.calls).toBe(2);
      again.unsubscribe();
    } finally {
      raw.disconnect();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('lists only cases that match, when an index holds ids left by a crash between a case write and its index update', async () => {
    const store = new RedisHubStore({ url: server.url, keyPrefix: 'ht:crash:' });
    const raw = new Redis(server.url);
    try {
      const ended = aCase('ended', { createdAt: 2 });
      await store.createCase(ended);
      await store.saveCase(next(ended, { status: 'originated' }));
      await store.createCase(aCase('open', { createdAt: 1 }));
      await raw.zadd('ht:crash:{case-index}:status:open', 3, 'ended', 4, 'never-written');
      expect(await store.openCaseIds()).toEqual(['open']);
      expect((await store.listCases({ status: 'open' })).map((c) => c.id)).toEqual(['open']);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it('rejects operations within 2 s while Redis is down, answers ping false, and works again once Redis is back', async () => {
    const flaky = await startRedis();
    const store = new RedisHubStore({ url: flaky.url });
    const other = new RedisHubStore({ url: flaky.url });
    try {
      await store.createCase(aCase('c1'));
      const listener = hear(other, 'term-co');
      await listener.next();

      await flaky.kill();
      const started = Date.now();
      const results = await Promise.allSettled([
        store.getCase('c1'),
        store.saveCase(next(aCase('c1'))),
        store.claimDue(Date.now(), 10),
        store.enqueue('term-co', aQuery('q1', 'c1')),
        store.take('term-co', 1),
        store.remember('jti-1', Date.now() + 60_000),
      ]);
      expect(Date.now() - started).toBeLessThan(2_000);
      const pinged = Date.now();
      expect(await store.ping()).toBe(false);
      expect(Date.now() - pinged).toBeLessThan(2_000);
      for (const r of results) expect(r.status === 'rejected' && r.reason).toBeInstanceOf(StoreUnavailableError);
      expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual([
        'store unavailable during getCase',
        'store unavailable during saveCase',
        'store unavailable during claimDue',
        'store unavailable during enqueue',
        'store unavailable during take',
        'store unavailable during remember',
      ]);

      const nudged = listener.next();
      await flaky.restart();
      await eventually(() => store.ping());
      // The server lost everything (no persistence in tests) and its script cache: the same store carries on.
      await store.createCase(aCase('c2'));
      await store.saveCase(next(aCase('c2'), { status: 'loop' }));
      expect((await other.getCase('c2'))?.status).toBe('loop');
      await store.setDeadline('c2', 5);
      expect(await other.claimDue(10, 10)).toEqual(['c2']);
      // The subscriber reconnected by itself: its listener is nudged, then hears enqueues again.
      await nudged;
      const heard = listener.next();
      await store.enqueue('term-co', aQuery('q2', 'c2'));
      await heard;
      expect(await other.take('term-co', 5)).toEqual([aQuery('q2', 'c2')]);
      listener.unsubscribe();
    } finally {
      await Promise.all([store.close(), other.close()]);
      await flaky.stop();
    }
  });
});

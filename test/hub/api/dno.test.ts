/** The DNO master list over HTTP, on Redis: ops' changes with their audit, roles, imports, export, agents' feed. */
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnoRefusedError } from '../../../hub/dno/client.js';
import { sign, verify } from '../../../proto/envelope.js';
import { DNO_POLL_TYPE, DnoSyncReader, type DnoSyncItem, entriesOf } from '../../../proto/dno-sync.js';
import type { KeyPair } from '../../../proto/keys.js';
import type { DnoEntry } from '../../../proto/messages.js';
import { type DnoHub, startDnoHub } from '../../helpers/dno-hub.js';
import { type RedisServer, startRedis } from '../../helpers/redis.js';

let redis: RedisServer;
let t: DnoHub;
let agentKey: KeyPair;

beforeAll(async () => {
  redis = await startRedis();
  t = await startDnoHub({ redisUrl: redis.url });
  agentKey = await t.provider('carrier-a');
});
afterAll(async () => {
  await t.stop();
  await redis.stop();
});

const numbers = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `+1303${String(from + i).padStart(7, '0')}`);

async function raw(method: 'GET' | 'POST', path: string, o: { token?: string; body?: string; type?: string; headers?: Record<string, string> } = {}) {
  const res = await request(`${t.url}${path}`, {
    method,
    headers: { ...(o.token && { authorization: `Bearer ${o.token}` }), ...(o.body !== undefined && { 'content-type': o.type ?? 'application/json' }), ...o.headers },
    ...(o.body !== undefined && { body: o.body }),
  });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

/** The agent's view: a signed poll, the stream read and its seal checked. */
/** A signed poll at `since` of the hub's current list (of `o.list` when given). */
async function sync(since: number | undefined, o: { wait?: number; gzip?: boolean; key?: KeyPair; list?: string } = {}) {
  const list = o.list ?? (await t.api().summary()).list;
  const poll = sign({ list }, { iss: 'carrier-a', aud: 'hub', typ: DNO_POLL_TYPE, key: o.key ?? agentKey });
  const q = new URLSearchParams({ ...(since !== undefined && { since: String(since) }), ...(o.wait && { wait: String(o.wait) }) });
  const res = await raw('GET', `/v1/agent/dno?${q}`, { headers: { authorization: `Hoptrace ${poll}`, ...(o.gzip && { 'accept-encoding': 'gzip' }) } });
  if (res.status !== 200) return { status: res.status, items: [] as DnoSyncItem[], error: JSON.parse(res.body.toString()) as { error: string } };
  const text = (res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.body) : res.body).toString('utf8');
  const reader = new DnoSyncReader();
  const items = text.split('\n').filter(Boolean).map((line) => reader.read(line));
  const end = items.at(-1);
  if (end?.kind !== 'end') throw new Error('no seal');
  const seal = await verify(end.jws, { aud: 'carrier-a', keys: () => [t.key.publicKey] });
  reader.checkSeal(seal.body);
  return { status: 200, items, encoding: res.headers['content-encoding'] };
}

const added = (items: DnoSyncItem[]) => items.flatMap((i) => (i.kind === 'group' && i.group.op === 'add' ? entriesOf(i.group) : []));
const removed = (items: DnoSyncItem[]) => items.flatMap((i) => (i.kind === 'group' && i.group.op === 'remove' ? entriesOf(i.group) : []));

describe('DNO list API', () => {
  it('adds entries as the token that changed them, and shows who and why for a number', async () => {
    const before = (await t.api('reader').summary()).version;
    const reply = await t.api().add([{ number: '+12025550100', category: 'listed', reason: 'IRS inbound-only', source: 'itg' }], 'ticket NOC-1')
    expect(reply.version).toBe(before + 1);
    expect(reply.row).toMatchObject({ who: 'ops', why: 'ticket NOC-1', what: { op: 'add', added: 1, sample: ['listed +12025550100'] } });
    const [view] = await t.api('reader').find('2025550100');
    expect(view).toEqual({
      entry: { number: '+12025550100', category: 'listed', reason: 'IRS inbound-only', source: 'itg' },
      version: reply.version,
      who: 'ops',
      when: reply.row.when,
      why: 'ticket NOC-1',
    });
  });

  it('refuses a change without the dno:write role (403) or a token (401), and changes nothing', async () => {
    const before = await t.api('reader').summary();
    const body = JSON.stringify({ entries: [{ number: '+12025550177', category: 'listed' }] });
    for (const name of ['reader', 'tracer'] as const) {
      const res = await raw('POST', '/v1/dno/entries', { token: t.tokens[name], body });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body.toString())).toEqual({ error: 'token lacks role dno:write' });
    }
    const imp = await raw('POST', '/v1/dno/imports', { token: t.tokens.reader, body: '+12025550177\n', type: 'text/csv' });
    expect(imp.status).toBe(403);
    expect((await raw('POST', '/v1/dno/removals', { body: JSON.stringify({ targets: ['+12025550100'] }) })).status).toBe(401);
    expect(await t.api('reader').summary()).toEqual(before);
    expect(await t.api('reader').find('+12025550177')).toEqual([]);
  });

  it('refuses an import with bad lines whole (422, every bad line), then applies the good lines when asked', async () => {
    const before = await t.api().summary();
    const file = ['number,category,reason', '+12025550201,listed,ok', 'hello,listed,x', '+12025550202,subscriber', '+1*,listed,all of NANP', '+12025550203'].join('\n');
    const err = await t.api().import(file, { file: 'bad.csv' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnoRefusedError);
    expect((err as DnoRefusedError).message).toBe('3 bad line(s), nothing added; the list is unchanged');
    expect((err as DnoRefusedError).problems).toEqual([
      { line: 3, text: 'hello,listed,x', reason: 'not a phone number: "hello"' },
      { line: 4, text: '+12025550202,subscriber', reason: 'unknown category "subscriber" (expected listed, invalid, unallocated, unassigned)' },
      { line: 5, text: '+1*,listed,all of NANP', reason: 'prefix +1* covers the emergency number +1911, which is never on a DNO list' },
    ]);
    expect(await t.api().summary()).toEqual(before);
    expect((await t.api().history({ limit: 1 }))[0]?.version).toBe(before.version);

    const good = await t.api().import(file, { file: 'bad.csv', applyGood: true, source: 'ftc', why: 'weekly' });
    expect(good.version).toBe(before.version + 1);
    expect(good.row.what).toMatchObject({ op: 'import', added: 2, skipped: 3, file: 'bad.csv' });
    expect(good.skipped.map((p) => p.line)).toEqual([3, 4, 5]);
    expect((await t.api().find('+12025550203'))[0]?.entry).toEqual({ number: '+12025550203', category: 'listed', source: 'ftc' });
  });

  it('takes an import larger than the hub’s 1 MB body limit, which still holds for JSON', async () => {
    const lines = numbers(100_000, 5_000_000);
    const reply = await t.api().import(lines.join('\n'), { category: 'unassigned', source: 'spare-pool' });
    expect(reply.row.what.added).toBe(100_000);
    expect((await t.api().find(lines[99_999]!))[0]?.entry.category).toBe('unassigned');
    const big = JSON.stringify({ entries: lines.map((n) => ({ number: n, category: 'listed' })) });
    expect((await raw('POST', '/v1/dno/entries', { token: t.tokens.ops, body: big })).status).toBe(413);
  });

  it('removes a target from every category, and refuses to remove what is not listed', async () => {
    await t.api().add([{ number: '+12025550300', category: 'listed' }, { number: '+12025550300', category: 'unassigned' }]);
    const err = await t.api().remove(['+12025550300', '+12025550399']).catch((e: unknown) => e);
    expect((err as DnoRefusedError).problems).toEqual([{ line: 2, text: '+12025550399', reason: 'not on the list in any category' }]);
    expect(await t.api().find('+12025550300')).toHaveLength(2);
    const reply = await t.api().remove(['+12025550300'], { why: 'customer ported in' });
    expect(reply.row.what).toMatchObject({ op: 'remove', removed: 2 });
    expect(await t.api().find('+12025550300')).toEqual([]);
  });

  it('exports in the import formats: what it exports imports back to the same entries', async () => {
    await t.api().add([{ number: '+12025550400', category: 'invalid', reason: 'comma, and "quotes"' }, { prefix: '+1976', category: 'listed' }]);
    let csv = '';
    for await (const chunk of t.api('reader').export({ format: 'csv' })) csv += chunk;
    expect(csv.split('\n')[0]).toBe('number,category,reason');
    expect(csv).toContain('+12025550400,invalid,"comma, and ""quotes"""\n');
    let lines = '';
    for await (const chunk of t.api('reader').export({ format: 'lines', category: 'invalid' })) lines += chunk;
    expect(lines).toBe('+12025550400\n');

    const other = await startDnoHub();
    try {
      await other.api().import(csv);
      const entries = async (h: DnoHub) => {
        const all: DnoEntry[] = [];
        for (const v of await h.api().list({ limit: 1_000_000 })) all.push({ ...v.entry, source: undefined } as DnoEntry);
        return all.map((e) => JSON.stringify([e.number ?? e.prefix ?? e.range, e.category, e.reason])).sort();
      };
      expect(await entries(other)).toEqual(await entries(t));
    } finally {
      await other.stop();
    }
  });

  it('pages the change log newest first', async () => {
    const rows = await t.api('reader').history({ limit: 3 });
    expect(rows.map((r) => r.version)).toEqual([rows[0]!.version, rows[0]!.version - 1, rows[0]!.version - 2]);
    const older = await t.api('reader').history({ before: rows[2]!.version, limit: 1 });
    expect(older[0]?.version).toBe(rows[2]!.version - 1);
  });
});

describe('DNO feed for agents', () => {
  it('sends an agent that never synced the whole list, sealed by the hub', async () => {
    const { items } = await sync(undefined);
    const head = items[0]!;
    const summary = await t.api().summary();
    expect(head).toEqual({ kind: 'head', head: { version: summary.version, full: true, list: summary.list, count: summary.total, at: expect.any(String) } });
    expect(added(items)).toHaveLength(summary.total);
  });

  it('sends the delta since the agent’s version, and gzip when the agent accepts it', async () => {
    const { version } = await t.api().summary();
    await t.api().add([{ number: '+12025550500', category: 'listed', reason: 'new' }]);
    await t.api().remove(['+12025550500']);
    await t.api().add([{ number: '+12025550501', category: 'unassigned' }]);
    const { items, encoding } = await sync(version, { gzip: true });
    expect(encoding).toBe('gzip');
    expect(items[0]).toEqual({ kind: 'head', head: { version: version + 3, full: false, since: version, list: expect.any(String), at: expect.any(String) } });
    expect(removed(items)).toEqual([{ number: '+12025550500', category: 'listed' }]);
    expect(added(items)).toEqual([{ number: '+12025550501', category: 'unassigned' }]);
  });

  it('holds a poll at the current version until the list changes', async () => {
    const { version } = await t.api().summary();
    const started = Date.now();
    const polled = sync(version, { wait: 10 });
    await new Promise((r) => setTimeout(r, 200));
    await t.api().add([{ number: '+12025550600', category: 'listed' }]);
    const { items } = await polled;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(added(items)).toEqual([{ number: '+12025550600', category: 'listed' }]);
  });

  it('answers a poll with nothing new after its wait: the head alone, at the same version', async () => {
    const { version } = await t.api().summary();
    const { items } = await sync(version, { wait: 1 });
    expect(items.map((i) => i.kind)).toEqual(['head', 'end']);
    expect(items[0]).toMatchObject({ head: { version, full: false, since: version } });
  });

  it('sends the whole list to a poll whose version counts in another list (the hub\'s store was wiped since)', async () => {
    const { version, total, list } = await t.api().summary();
    const { items } = await sync(version - 1, { list: 'a-list-this-hub-never-had' });
    expect(items[0]).toMatchObject({ kind: 'head', head: { version, full: true, list } });
    expect(added(items)).toHaveLength(total);
    const started = Date.now();
    const waited = await sync(version, { list: 'a-list-this-hub-never-had', wait: 10 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(waited.items[0]).toMatchObject({ head: { full: true } });
  });

  it('refuses a poll that is unsigned, signed by an unknown key, or replayed', async () => {
    expect((await raw('GET', '/v1/agent/dno?since=0')).status).toBe(401);
    const stranger = await sync(0, { key: (await import('../../../proto/keys.js')).generateKeyPair() });
    expect(stranger.status).toBe(401);
    const poll = sign({}, { iss: 'carrier-a', aud: 'hub', typ: DNO_POLL_TYPE, key: agentKey });
    const once = await raw('GET', '/v1/agent/dno?since=0', { headers: { authorization: `Hoptrace ${poll}` } });
    expect(once.status).toBe(200);
    const again = await raw('GET', '/v1/agent/dno?since=0', { headers: { authorization: `Hoptrace ${poll}` } });
    expect(again.status).toBe(401);
    expect(JSON.parse(again.body.toString())).toEqual({ error: 'envelope refused: replayed', code: 'replayed' });
  });
});

/**
 * The master-list store contract, run against every implementation (memory-store.test.ts, redis-store.test.ts).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { EntryDecoder } from '../../../agent/dno/entry-codec.js';
import type { DnoEntry } from '../../../proto/messages.js';
import { versionOfPayload } from '../../../hub/dno/layout.js';
import { addRequest, DnoChangeRefused, importRequest, removeRequest } from '../../../hub/dno/master.js';
import { DELTA_KEEP, type DnoListStore, READ_CHUNK } from '../../../hub/dno/store.js';

const T0 = Date.parse('2026-11-28T12:00:00.000Z');
const ops = { who: 'ops-alice' };

export const numbers = (count: number, from = 0): string =>
  Array.from({ length: count }, (_, i) => `+1303${String(from + i).padStart(7, '0')}`).join('\n');

/** Every entry of the store, decoded and sorted by field. */
export async function listOf(store: DnoListStore): Promise<DnoEntry[]> {
  const { chunks } = await store.read();
  const fields: string[] = [];
  const pids: string[] = [];
  for await (const chunk of chunks) {
    fields.push(...chunk.fields);
    pids.push(...chunk.pids);
  }
  const payloads = await store.payloads([...new Set(pids)]);
  const decoder = new EntryDecoder();
  return fields
    .map((f, i) => [f, decoder.entryOf(f, payloads.get(pids[i]!)!)] as const)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, e]) => e);
}

async function refusal(p: Promise<unknown>): Promise<DnoChangeRefused> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DnoChangeRefused);
  return err as DnoChangeRefused;
}

export function storeContract(make: () => Promise<DnoListStore>): void {
  let store: DnoListStore;
  beforeEach(async () => {
    store = await make();
  });
  afterEach(async () => {
    await store.close();
  });

  it('starts empty at version 0', async () => {
    expect(await store.summary()).toEqual({ list: expect.any(String), version: 0, counts: { listed: 0, invalid: 0, unallocated: 0, unassigned: 0 }, total: 0 });
    expect(await listOf(store)).toEqual([]);
    expect(await store.history({ limit: 10 })).toEqual([]);
  });

  it('an import is one new version with a change-log row of who, what, when and why', async () => {
    const text = 'number,category,reason\n+12025550100,listed,IRS inbound-only\n+12025550101,unassigned\n+1900*\n';
    const { row, skipped } = await store.change(importRequest(text, { source: 'itg' }, { ...ops, why: 'weekly ITG list', file: 'itg.csv' }), T0);
    expect(skipped).toEqual([]);
    expect(row).toEqual({
      version: 1,
      who: 'ops-alice',
      when: '2026-11-28T12:00:00.000Z',
      why: 'weekly ITG list',
      what: { op: 'import', added: 3, removed: 0, skipped: 0, sample: ['listed +12025550100', 'unassigned +12025550101', 'listed +1900*'], file: 'itg.csv' },
    });
    expect(await store.summary()).toEqual({ list: expect.any(String), version: 1, counts: { listed: 2, invalid: 0, unallocated: 0, unassigned: 1 }, total: 3 });
    expect(await listOf(store)).toEqual([
      { number: '+12025550100', category: 'listed', reason: 'IRS inbound-only', source: 'itg' },
      { prefix: '+1900', category: 'listed', source: 'itg' },
      { number: '+12025550101', category: 'unassigned', source: 'itg' },
    ]);
    expect(await store.history({ limit: 5 })).toEqual([row]);
  });

  it('adding an entry again replaces its reason and source, and the entry names the version that added it', async () => {
    await store.change(addRequest([{ number: '+12025550100', category: 'listed', reason: 'old' }], [], ops), T0);
    await store.change(addRequest([{ number: '+12025550100', category: 'listed', source: 'ftc' }], [], { who: 'ops-bob' }), T0 + 1000);
    expect((await store.summary()).counts.listed).toBe(1);
    expect(await listOf(store)).toEqual([{ number: '+12025550100', category: 'listed', source: 'ftc' }]);
    const found = await store.find('12025550100');
    expect(found.fields).toEqual(['l12025550100']);
    const [row] = await store.rows([versionOfPayload(found.pids[0]!)]);
    expect(row?.who).toBe('ops-bob');
  });

  it('a removal without a category removes the target from every category; with one, from that one only', async () => {
    await store.change(importRequest('+12025550100,listed\n+12025550100,unassigned\n+12025550101,listed\n+12025550101,invalid\n', {}, ops), T0);
    const { row } = await store.change(removeRequest('+12025550100\n+12025550101,invalid\n', ops), T0);
    expect(row.what).toMatchObject({ op: 'remove', added: 0, removed: 3 });
    expect(await listOf(store)).toEqual([{ number: '+12025550101', category: 'listed' }]);
    expect((await store.find('12025550101')).fields).toEqual(['l12025550101']);
  });

  it('refuses a removal of what is not on the list, naming every such line, and changes nothing', async () => {
    await store.change(importRequest('+12025550100\n', {}, ops), T0);
    const err = await refusal(store.change(removeRequest('+12025550100\n+12025550177\n+12025550100,unassigned\n', ops), T0));
    expect(err.problems).toEqual([
      { line: 2, text: '+12025550177', reason: 'not on the list in any category' },
      { line: 3, text: '+12025550100', reason: 'not on the list as unassigned' },
    ]);
    expect(err.message).toBe('2 bad line(s), nothing removed; the list is unchanged');
    expect((await store.summary()).version).toBe(1);
    expect(await listOf(store)).toHaveLength(1);

    const { row, skipped } = await store.change(removeRequest('+12025550100\n+12025550177\n', { ...ops, applyGood: true }), T0);
    expect(row.what).toMatchObject({ removed: 1, skipped: 1 });
    expect(skipped).toEqual([{ line: 2, text: '+12025550177', reason: 'not on the list in any category' }]);
    expect(await listOf(store)).toEqual([]);
  });

  it('refuses an import with bad lines whole, reporting every one, unless asked to apply the good lines', async () => {
    const text = '+12025550100\nhello\n+12025550101,subscriber\n911\n+1*\n+12025550102\n';
    const err = await refusal(store.change(importRequest(text, {}, ops), T0));
    expect(err.problems.map((p) => [p.line, p.text])).toEqual([
      [2, 'hello'],
      [3, '+12025550101,subscriber'],
      [4, '911'],
      [5, '+1*'],
    ]);
    expect(err.problems[3]!.reason).toBe('prefix +1* covers the emergency number +1911, which is never on a DNO list');
    expect(await store.summary()).toMatchObject({ version: 0, total: 0 });
    expect(await store.history({ limit: 5 })).toEqual([]);

    const { row, skipped } = await store.change(importRequest(text, {}, { ...ops, applyGood: true }), T0);
    expect(row.what).toMatchObject({ added: 2, skipped: 4 });
    expect(skipped.map((p) => p.line)).toEqual([2, 3, 4, 5]);
    expect((await listOf(store)).map((e) => e.number)).toEqual(['+12025550100', '+12025550102']);
  });

  it('refuses a change that would change nothing', async () => {
    const err = await refusal(store.change(importRequest('# only a comment\n', {}, ops), T0));
    expect(err.message).toBe('nothing to add; the list is unchanged');
    expect((await store.summary()).version).toBe(0);
  });

  it('the delta since a version folds the changes after it: the last thing done to each entry wins', async () => {
    await store.change(importRequest('+12025550100\n+12025550101\n', {}, ops), T0);
    await store.change(removeRequest('+12025550100\n', ops), T0);
    await store.change(importRequest('+12025550102,listed,new\n', {}, ops), T0);
    await store.change(removeRequest('+12025550102\n', ops), T0);
    await store.change(importRequest('+12025550100,unassigned\n', {}, ops), T0);
    const d = await store.deltaSince(1);
    expect(d?.version).toBe(5);
    expect([...d!.delta.remove].sort()).toEqual(['l12025550100', 'l12025550102']);
    expect([...d!.delta.add.keys()]).toEqual(['u12025550100']);
    expect(versionOfPayload(d!.delta.add.get('u12025550100')!)).toBe(5);
    const none = await store.deltaSince(5);
    expect(none?.delta.size).toBe(0);
    expect(await store.deltaSince(6)).toBeNull();
  });

  it('a change too large to keep as a delta sends agents behind it to the whole list', async () => {
    await store.change(importRequest('+12025550100\n', {}, ops), T0);
    await store.change(importRequest(numbers(DELTA_KEEP + 1), {}, ops), T0);
    await store.change(importRequest('+12025550101\n', {}, ops), T0);
    expect(await store.deltaSince(1)).toBeNull();
    expect((await store.deltaSince(2))?.delta.size).toBe(1);
    expect((await store.summary()).total).toBe(DELTA_KEEP + 3);
  }, 60_000);

  it('reads every entry in chunks of at most READ_CHUNK, starting at the current version', async () => {
    const count = READ_CHUNK * 2 + 500;
    await store.change(importRequest(numbers(count), {}, ops), T0);
    const { version, chunks } = await store.read();
    expect(version).toBe(1);
    const sizes: number[] = [];
    const seen = new Set<string>();
    for await (const chunk of chunks) {
      sizes.push(chunk.fields.length);
      for (const f of chunk.fields) seen.add(f);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(READ_CHUNK);
    expect(seen.size).toBe(count);
  });

  it('history pages newest first', async () => {
    for (let i = 0; i < 5; i++) await store.change(importRequest(`+1202555010${i}\n`, {}, { who: `w${i}` }), T0 + i);
    expect((await store.history({ limit: 2 })).map((r) => r.version)).toEqual([5, 4]);
    expect((await store.history({ before: 4, limit: 2 })).map((r) => r.who)).toEqual(['w2', 'w1']);
    expect((await store.history({ before: 2, limit: 10 })).map((r) => r.version)).toEqual([1]);
  });

  it('tells listeners the new version after a change', async () => {
    const heard = new Promise<number>((resolve) => {
      const off = store.onChange((v) => (off(), resolve(v)));
    });
    await store.change(importRequest('+12025550100\n', {}, ops), T0);
    expect(await heard).toBe(1);
  });
}

import { describe, expect, it } from 'vitest';
import type { TermKind } from '../../../agent/calls/codec.js';
import { Dictionary, FILE_TRIM_GRACE_MS, type TermStore } from '../../../agent/calls/dictionary.js';
import { CallIndexInputError } from '../../../agent/calls/errors.js';
import { StoreUnavailableError } from '../../../agent/calls/store.js';

/** A store that hands out ids from `next` and remembers nothing: what a store that lost its data looks like. */
function store(next: number): TermStore & { interned: string[] } {
  const interned: string[] = [];
  return {
    interned,
    async intern(_kind: TermKind, terms: readonly string[]) {
      interned.push(...terms);
      return terms.map(() => next++);
    },
    async resolve(_kind: TermKind, ids: readonly number[]) {
      return ids.map(() => null);
    },
    async leaseFiles(terms: readonly string[], until: readonly number[]) {
      interned.push(...terms);
      return terms.map((_, i) => ({ id: next++, until: until[i] as number }));
    },
    async resolveFiles(ids: readonly number[]) {
      return ids.map(() => null);
    },
    async trimFiles() {
      return 0;
    },
  };
}

describe('call index dictionary', () => {
  it('asks the store once per distinct new term and answers from its cache after', async () => {
    const backing = store(7);
    const dictionary = new Dictionary(backing);
    await dictionary.learn('ingress', ['{"ip":"a"}', '{"ip":"b"}', '{"ip":"a"}']);
    await dictionary.learn('ingress', ['{"ip":"b"}']);
    expect(backing.interned).toEqual(['{"ip":"a"}', '{"ip":"b"}']);
    expect([dictionary.id('ingress', '{"ip":"a"}'), dictionary.term('ingress', 8)]).toEqual([7, '{"ip":"b"}']);
  });

  it('refuses a source id that would not fit its one byte', async () => {
    const dictionary = new Dictionary(store(256));
    await expect(dictionary.learn('source', ['cdr:x'])).rejects.toThrow(
      new CallIndexInputError('source', 'more than 255 distinct values: the index cannot hold another one'),
    );
  });

  it('reports an id the store no longer has as the store being unavailable, never as a wrong term', async () => {
    const dictionary = new Dictionary(store(1));
    await expect(dictionary.recall('identity', [3])).rejects.toThrow(StoreUnavailableError);
  });

  it('forgets every cached id when the store lost its data, and says so through its generation', async () => {
    const dictionary = new Dictionary(store(1));
    await dictionary.learn('source', ['sip']);
    const generation = dictionary.generation;
    dictionary.forget();
    expect(dictionary.cachedId('source', 'sip')).toBeUndefined();
    expect(dictionary.generation).not.toBe(generation);
    expect(() => dictionary.id('source', 'sip')).toThrow(StoreUnavailableError);
  });
});

/** A file store whose leases the test sets: id → term and lease end, as another agent may have changed them. */
function fileStore(): TermStore & { files: Map<number, { term: string; until: number }>; leased: string[] } {
  const files = new Map<number, { term: string; until: number }>();
  const leased: string[] = [];
  let next = 1;
  return {
    files,
    leased,
    async intern() {
      return [];
    },
    async resolve() {
      return [];
    },
    async leaseFiles(terms: readonly string[], until: readonly number[]) {
      leased.push(...terms);
      return terms.map((term, i) => {
        const found = [...files].find(([, f]) => f.term === term);
        const id = found?.[0] ?? next++;
        const lease = { term, until: Math.max(found?.[1].until ?? 0, until[i] as number) };
        files.set(id, lease);
        return { id, until: lease.until };
      });
    },
    async resolveFiles(ids: readonly number[]) {
      return ids.map((id) => files.get(id) ?? null);
    },
    async trimFiles() {
      return 0;
    },
  };
}

describe('call index dictionary: evidence files', () => {
  it('leases a file id from the store once, and again only when a batch needs the term kept longer', async () => {
    const backing = fileStore();
    const dictionary = new Dictionary(backing);
    expect(await dictionary.leaseFiles(['/cdr/a', '/cdr/b'], [5000, 5000])).toEqual([1, 2]);
    expect(await dictionary.leaseFiles(['/cdr/a'], [4000])).toEqual([1]);
    expect(backing.leased).toEqual(['/cdr/a', '/cdr/b']);
    expect(await dictionary.leaseFiles(['/cdr/a'], [9000])).toEqual([1]);
    expect(backing.leased).toEqual(['/cdr/a', '/cdr/b', '/cdr/a']);
  });

  it("names a file id by its cached term only for entries its lease covers: a later one may be another file's, after a trim", async () => {
    const backing = fileStore();
    const dictionary = new Dictionary(backing);
    await dictionary.leaseFiles(['/cdr/old'], [5000]);
    await dictionary.recallFiles([1], [5000]);
    expect(dictionary.fileTerm(1, 5000)).toBe('/cdr/old');
    // Another agent trimmed /cdr/old and leased its id to /cdr/new for a later bucket.
    backing.files.set(1, { term: '/cdr/new', until: 9000 });
    expect(() => dictionary.fileTerm(1, 9000)).toThrow(StoreUnavailableError);
    await dictionary.recallFiles([1], [9000]);
    expect(dictionary.fileTerm(1, 9000)).toBe('/cdr/new');
    // And this process, which cached /cdr/old → 1, leases /cdr/old anew for a later bucket rather than writing 1.
    backing.files.delete(1);
    backing.files.set(7, { term: '/cdr/new', until: 9000 });
    expect(await dictionary.leaseFiles(['/cdr/old'], [9000])).toEqual([2]);
  });

  it('drops cached file terms whose lease ended more than the grace ago when it trims, and asks the store to keep the grace', async () => {
    const backing = fileStore();
    const graces: number[] = [];
    backing.trimFiles = async (_limit, graceMs) => (graces.push(graceMs), 0);
    const dictionary = new Dictionary(backing);
    await dictionary.leaseFiles(['/cdr/a', '/cdr/b'], [1000, 3000]);
    await dictionary.trimFiles(2000 + FILE_TRIM_GRACE_MS);
    expect(graces).toEqual([FILE_TRIM_GRACE_MS]);
    expect(() => dictionary.fileTerm(1, 1000)).toThrow(StoreUnavailableError);
    expect(dictionary.fileTerm(2, 3000)).toBe('/cdr/b');
  });
});

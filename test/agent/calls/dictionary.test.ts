import { describe, expect, it } from 'vitest';
import type { TermKind } from '../../../agent/calls/codec.js';
import { Dictionary, type TermStore } from '../../../agent/calls/dictionary.js';
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

/**
 * Interned terms (ingress, source, identity) ↔ small ids, so that an entry stays fixed-width. A site has a few
 * thousand distinct ingresses and identities at most; ids are never reused, so a cached pair stays true for as
 * long as the store keeps its dictionary (a store that lost its data must call `forget`).
 */
import { CallIndexInputError } from './errors.js';
import { MAX_TERM_ID, TERM_KINDS, type TermKind } from './codec.js';
import { StoreUnavailableError } from './store.js';

/** Where the dictionary lives: ids are allocated by the store, so every agent instance agrees on them. */
export interface TermStore {
  /** The id of each term, allocating ids for new ones. */
  intern(kind: TermKind, terms: readonly string[]): Promise<number[]>;
  /** The term of each id; null when the store has none (it lost data). */
  resolve(kind: TermKind, ids: readonly number[]): Promise<(string | null)[]>;
}

type PerKind<T> = Record<TermKind, T>;
const perKind = <T>(make: () => T): PerKind<T> =>
  Object.fromEntries(TERM_KINDS.map((k) => [k, make()])) as PerKind<T>;

export class Dictionary {
  private readonly ids = perKind(() => new Map<string, number>());
  private readonly terms = perKind(() => new Map<number, string>());
  /** Bumped by `forget`: ids taken from the cache before a bump may name other terms in the store now. */
  private epoch = 0;

  constructor(private readonly store: TermStore) {}

  /** The id of `term` if this process knows it already. */
  cachedId(kind: TermKind, term: string): number | undefined {
    return this.ids[kind].get(term);
  }

  /** Makes `id` answer for every one of `terms`. */
  async learn(kind: TermKind, terms: Iterable<string>): Promise<void> {
    const missing = [...new Set(terms)].filter((t) => !this.ids[kind].has(t));
    if (missing.length === 0) return;
    const ids = await this.store.intern(kind, missing);
    missing.forEach((term, i) => {
      const id = ids[i] as number;
      if (id > MAX_TERM_ID[kind]) {
        throw new CallIndexInputError(kind, `more than ${MAX_TERM_ID[kind]} distinct values: the index cannot hold another one`);
      }
      this.remember(kind, term, id);
    });
  }

  /** Makes `term` answer for every one of `ids`. */
  async recall(kind: TermKind, ids: Iterable<number>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.terms[kind].has(id));
    if (missing.length === 0) return;
    const terms = await this.store.resolve(kind, missing);
    missing.forEach((id, i) => {
      const term = terms[i];
      if (term == null) {
        throw new StoreUnavailableError('lookup', { cause: new Error(`the call index dictionary has no ${kind} #${id}: the store lost data`) });
      }
      this.remember(kind, term, id);
    });
  }

  id(kind: TermKind, term: string): number {
    const id = this.ids[kind].get(term);
    // Only when the store reconnected (and `forget` ran) between learning and use: retryable.
    if (id === undefined) throw new StoreUnavailableError('add', { cause: new Error(`${kind} ${term} is no longer known`) });
    return id;
  }

  term(kind: TermKind, id: number): string {
    const term = this.terms[kind].get(id);
    if (term === undefined) throw new StoreUnavailableError('lookup', { cause: new Error(`${kind} #${id} is no longer known`) });
    return term;
  }

  get generation(): number {
    return this.epoch;
  }

  /** The store lost its data (a Redis restarted without persistence): ids must be fetched again. */
  forget(): void {
    this.epoch++;
    for (const kind of TERM_KINDS) {
      this.ids[kind].clear();
      this.terms[kind].clear();
    }
  }

  private remember(kind: TermKind, term: string, id: number): void {
    this.ids[kind].set(term, id);
    this.terms[kind].set(id, term);
  }
}

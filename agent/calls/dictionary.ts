/**
 * Interned terms ↔ small ids, so that an entry stays fixed-width.
 *
 * Ingresses, sources and identities are few (a site has a few thousand at most) and kept for ever: their ids are
 * never reused, so a cached pair stays true for as long as the store keeps its dictionary (a store that lost its
 * data must call `forget`).
 *
 * Evidence files are many (a file a minute on ten SBCs is 14,400 a day, and the entry holds a uint24: 3 years of
 * ids) and only needed while calls read from them are: each file term is leased until the end of the newest
 * bucket it was written into (the bucket expires then, so no entry names it after: every append sets a bucket's
 * expiry to the earliest one computed for it, so a bucket never outlives a lease, even after retention was
 * lowered), dropped by `trimFiles` once FILE_TRIM_GRACE_MS has passed after that, and its id given to another
 * file. Hence two rules for the caches:
 * - a file id cached for writing is used only while its lease covers the bucket written (a lease is never
 *   shortened, so the term cannot be trimmed before): else the store extends the lease, or leases the term anew;
 * - a cached id → file pair names the term of an entry only if the entry's bucket expires within the lease:
 *   an entry of a later bucket may have been written after the term was trimmed and its id given again.
 */
import { CallIndexInputError } from './errors.js';
import { INTERNED_KINDS, MAX_TERM_ID, type InternedKind } from './codec.js';
import { StoreUnavailableError } from './store.js';

/** A file term's id and the time (epoch ms) until which it is kept at least. */
export interface FileLease {
  id: number;
  until: number;
}

/** Where the dictionary lives: ids are allocated by the store, so every agent instance agrees on them. */
export interface TermStore {
  /** The id of each term, allocating ids for new ones. */
  intern(kind: InternedKind, terms: readonly string[]): Promise<number[]>;
  /** The term of each id; null when the store has none (it lost data). */
  resolve(kind: InternedKind, ids: readonly number[]): Promise<(string | null)[]>;
  /**
   * The id of each file term, kept at least until `until[i]` (a lease is extended, never shortened); a term
   * with no id (new, or trimmed) gets one, possibly one a trimmed term had.
   */
  leaseFiles(terms: readonly string[], until: readonly number[]): Promise<FileLease[]>;
  /**
   * The term of each file id and its lease; `until` null for a term never leased (interned before leases
   * existed: never trimmed, so its id is never given again); null when the store has no such id.
   */
  resolveFiles(ids: readonly number[]): Promise<({ term: string; until: number | null } | null)[]>;
  /** Drops up to `limit` file terms whose lease ended more than `graceMs` ago, freeing their ids; how many it dropped. */
  trimFiles(limit: number, graceMs: number): Promise<number>;
}

/**
 * How long after its lease ends a file term is kept. A lookup reads a bucket, then resolves its file ids: one that
 * read a bucket just before it expired must still find the file's term, not the term of a file its id was given to
 * since (whose lease passes the bucket's expiry, so the lease check would not catch it). A lookup takes well under
 * a second (its Redis timeout is 1 s): ten minutes leave room for a stalled process, and cost 10 minutes of ids.
 */
export const FILE_TRIM_GRACE_MS = 10 * 60_000;

export interface FileTermOptions {
  /** How long a file term is kept after its lease ends, ms. Default FILE_TRIM_GRACE_MS; tests shorten it. */
  fileTrimGraceMs?: number;
}

type PerKind<T> = Record<InternedKind, T>;
const perKind = <T>(make: () => T): PerKind<T> =>
  Object.fromEntries(INTERNED_KINDS.map((k) => [k, make()])) as PerKind<T>;

/** File terms trimmed per store call: each call holds Redis for well under a millisecond. */
const TRIM_BATCH = 256;
/** A trim stops after this many calls (65,536 terms) and goes on at the next. */
const MAX_TRIM_CALLS = 256;

export class Dictionary {
  private readonly ids = perKind(() => new Map<string, number>());
  private readonly terms = perKind(() => new Map<number, string>());
  private readonly fileIds = new Map<string, FileLease>();
  private readonly fileTerms = new Map<number, { term: string; until: number }>();
  /** Bumped by `forget`: ids taken from the cache before a bump may name other terms in the store now. */
  private epoch = 0;

  constructor(
    private readonly store: TermStore,
    private readonly graceMs = FILE_TRIM_GRACE_MS,
  ) {}

  /** The id of `term` if this process knows it already. */
  cachedId(kind: InternedKind, term: string): number | undefined {
    return this.ids[kind].get(term);
  }

  /** Makes `id` answer for every one of `terms`. */
  async learn(kind: InternedKind, terms: Iterable<string>): Promise<void> {
    const missing = [...new Set(terms)].filter((t) => !this.ids[kind].has(t));
    if (missing.length === 0) return;
    const ids = await this.store.intern(kind, missing);
    missing.forEach((term, i) => {
      const id = ids[i] as number;
      checkId(kind, id);
      this.remember(kind, term, id);
    });
  }

  /** Makes `term` answer for every one of `ids`. */
  async recall(kind: InternedKind, ids: Iterable<number>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.terms[kind].has(id));
    if (missing.length === 0) return;
    const terms = await this.store.resolve(kind, missing);
    missing.forEach((id, i) => {
      const term = terms[i];
      if (term == null) throw lostData(kind, id);
      this.remember(kind, term, id);
    });
  }

  id(kind: InternedKind, term: string): number {
    const id = this.ids[kind].get(term);
    // Only when the store reconnected (and `forget` ran) between learning and use: retryable.
    if (id === undefined) throw new StoreUnavailableError('add', { cause: new Error(`${kind} ${term} is no longer known`) });
    return id;
  }

  term(kind: InternedKind, id: number): string {
    const term = this.terms[kind].get(id);
    if (term === undefined) throw new StoreUnavailableError('lookup', { cause: new Error(`${kind} #${id} is no longer known`) });
    return term;
  }

  /** The id of each file term, leased until at least `until[i]`: from the cache while its lease covers that. */
  async leaseFiles(terms: readonly string[], until: readonly number[]): Promise<number[]> {
    const ids = new Array<number>(terms.length);
    const ask: number[] = [];
    terms.forEach((term, i) => {
      const lease = this.fileIds.get(term);
      if (lease !== undefined && lease.until >= (until[i] as number)) ids[i] = lease.id;
      else ask.push(i);
    });
    if (ask.length === 0) return ids;
    const leases = await this.store.leaseFiles(
      ask.map((i) => terms[i] as string),
      ask.map((i) => until[i] as number),
    );
    ask.forEach((i, k) => {
      const lease = leases[k] as FileLease;
      checkId('file', lease.id);
      const term = terms[i] as string;
      this.fileIds.set(term, lease);
      this.fileTerms.set(lease.id, { term, until: lease.until });
      ids[i] = lease.id;
    });
    return ids;
  }

  /** Makes `fileTerm` answer for each of `ids`, named by an entry of a bucket that expires at `expiresAt[i]`. */
  async recallFiles(ids: readonly number[], expiresAt: readonly number[]): Promise<void> {
    const need = new Map<number, number>();
    ids.forEach((id, i) => {
      const cached = this.fileTerms.get(id);
      const until = expiresAt[i] as number;
      if (cached === undefined || cached.until < until) need.set(id, Math.max(need.get(id) ?? 0, until));
    });
    if (need.size === 0) return;
    const missing = [...need.keys()];
    const found = await this.store.resolveFiles(missing);
    missing.forEach((id, i) => {
      const f = found[i];
      if (f == null) throw lostData('file', id);
      // A term never leased is never trimmed: it is the term of every entry naming its id.
      this.fileTerms.set(id, { term: f.term, until: f.until ?? (need.get(id) as number) });
    });
  }

  /** The file term of `id` in an entry of a bucket that expires at `expiresAt` (after `recallFiles`). */
  fileTerm(id: number, expiresAt: number): string {
    const cached = this.fileTerms.get(id);
    if (cached === undefined || cached.until < expiresAt) {
      throw new StoreUnavailableError('lookup', { cause: new Error(`file #${id} is no longer known`) });
    }
    return cached.term;
  }

  /** Drops file terms whose lease ended more than the grace ago, in the store and in this cache; how many the store dropped. */
  async trimFiles(nowMs = Date.now()): Promise<number> {
    let dropped = 0;
    for (let calls = 0; calls < MAX_TRIM_CALLS; calls++) {
      const n = await this.store.trimFiles(TRIM_BATCH, this.graceMs);
      dropped += n;
      if (n < TRIM_BATCH) break;
    }
    const ended = nowMs - this.graceMs;
    for (const [term, lease] of this.fileIds) if (lease.until < ended) this.fileIds.delete(term);
    for (const [id, cached] of this.fileTerms) if (cached.until < ended) this.fileTerms.delete(id);
    return dropped;
  }

  get generation(): number {
    return this.epoch;
  }

  /** The store lost its data (a Redis restarted without persistence): ids must be fetched again. */
  forget(): void {
    this.epoch++;
    for (const kind of INTERNED_KINDS) {
      this.ids[kind].clear();
      this.terms[kind].clear();
    }
    this.fileIds.clear();
    this.fileTerms.clear();
  }

  private remember(kind: InternedKind, term: string, id: number): void {
    this.ids[kind].set(term, id);
    this.terms[kind].set(id, term);
  }
}

function checkId(kind: InternedKind | 'file', id: number): void {
  if (id > MAX_TERM_ID[kind]) throw new CallIndexInputError(kind, `more than ${MAX_TERM_ID[kind]} distinct values: the index cannot hold another one`);
}

function lostData(kind: InternedKind | 'file', id: number): StoreUnavailableError {
  return new StoreUnavailableError('lookup', { cause: new Error(`the call index dictionary has no ${kind} #${id}: the store lost data`) });
}

/**
 * The call index over fixed-width entries in time buckets: the one implementation of CallIndex's semantics
 * (validation, packing, dedupe, ranking). A BucketStore only keeps bytes: Redis (production) or process memory
 * (embedded), so both backends behave alike by construction and run one contract suite.
 */
import { Flag, INTERNED_KINDS, unpackRecord, type Extras, type TermKind } from './codec.js';
import type { Dictionary } from './dictionary.js';
import { bucketExpiresAt, bucketOf, type Layout } from './layout.js';
import { fileLeases, pendingTerms, prepareBatch, resolveFiles, resolvePending, type PreparedBatch } from './prepare.js';
import type { CallRecord } from './record.js';
import { DEFAULT_LOOKUP_LIMIT, lookupQuery, rank, scanBucket, type Found, type Hit } from './scan.js';
import { StoreUnavailableError, type SizedCallIndex } from './store.js';
import { planWrites, type BucketWrite } from './writes.js';

/** Bytes per (shard, bucket), each dropped whole at its `expiresAt`. Failures are StoreUnavailableError. */
export interface BucketStore {
  /** Appends entries (and sets their extras) durably: resolves once the store acknowledged all of them. */
  append(writes: readonly BucketWrite[]): Promise<void>;
  /** The entries of each bucket of `shard`, null where there are none. */
  read(shard: number, buckets: readonly number[]): Promise<(Buffer | null)[]>;
  /** The extras of the entries `fields` (their bytes) in one bucket, null where there are none. */
  readExtras(shard: number, bucket: number, fields: readonly Buffer[]): Promise<(string | null)[]>;
  /** Entries held in `buckets` (every shard): appended entries, counted again when a batch was replayed. */
  entries(buckets: readonly number[]): Promise<number>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export class PackedCallIndex implements SizedCallIndex {
  private readonly trimmer: NodeJS.Timeout;

  constructor(
    private readonly layout: Layout,
    private readonly store: BucketStore,
    private readonly dictionary: Dictionary,
  ) {
    // A file's term outlives its last bucket by at most this long.
    this.trimmer = setInterval(() => this.trimFiles().catch(() => undefined), Math.min(layout.bucketMs, 60_000)).unref();
  }

  async add(records: readonly CallRecord[]): Promise<void> {
    if (records.length === 0) return;
    const generation = this.dictionary.generation;
    const batch = prepareBatch(records, (kind, term) => this.dictionary.cachedId(kind, term));
    const now = Date.now();
    await Promise.all([this.learnTerms(batch), this.leaseFiles(batch, now)]);
    if (this.dictionary.generation !== generation) {
      throw new StoreUnavailableError('add', { cause: new Error('the store reconnected while the batch was prepared') });
    }
    const writes = planWrites(this.layout, batch, now);
    if (writes.length > 0) await this.store.append(writes);
  }

  async lookup(called: string, fromMs: number, toMs: number, limit = DEFAULT_LOOKUP_LIMIT): Promise<CallRecord[]> {
    const query = lookupQuery(this.layout, called, fromMs, toMs, limit);
    const buckets = await this.store.read(query.shard, query.buckets);
    const hits: Hit[] = [];
    buckets.forEach((bytes, i) => {
      if (bytes) scanBucket(this.layout, query, query.buckets[i] as number, bytes, hits);
    });
    if (hits.length === 0) return [];
    const extras = await this.extrasOf(query.shard, hits);
    const found = rank(query, hits, (hit) => extras.get(hit));
    await this.recallTerms(found);
    return found.map((f) => {
      const expiresAt = bucketExpiresAt(this.layout, f.bucket);
      const term = (kind: TermKind, id: number) => (kind === 'file' ? this.dictionary.fileTerm(id, expiresAt) : this.dictionary.term(kind, id));
      return unpackRecord({ called, entry: f.entry, at: f.at, atAlt: f.atAlt, extras: f.extras, term });
    });
  }

  trimFiles(): Promise<number> {
    return this.dictionary.trimFiles();
  }

  /** Entries held in the buckets still within retention: the index's size (a DST-ambiguous call has two). */
  size(nowMs = Date.now()): Promise<number> {
    const first = bucketOf(this.layout, nowMs - this.layout.retentionMs) - 1;
    const last = bucketOf(this.layout, nowMs) + 1;
    const buckets: number[] = [];
    for (let b = Math.max(0, first); b <= last; b++) buckets.push(b);
    return this.store.entries(buckets);
  }

  ping(): Promise<boolean> {
    return this.store.ping();
  }

  close(): Promise<void> {
    clearInterval(this.trimmer);
    return this.store.close();
  }

  private async learnTerms(batch: PreparedBatch): Promise<void> {
    if (batch.pending.length === 0) return;
    const terms = pendingTerms(batch);
    await Promise.all(INTERNED_KINDS.map((kind) => this.dictionary.learn(kind, terms[kind])));
    resolvePending(batch, (kind, term) => this.dictionary.id(kind, term));
  }

  /** Each evidence file's id, leased until its newest bucket in the batch expires (dictionary.ts). */
  private async leaseFiles(batch: PreparedBatch, nowMs: number): Promise<void> {
    if (batch.files.length === 0) return;
    const until = fileLeases(batch, (at) => bucketExpiresAt(this.layout, bucketOf(this.layout, at)));
    // A file whose calls are all past retention has none written (planWrites): it needs no id.
    const live = batch.files.flatMap((_, f) => ((until[f] as number) > nowMs ? [f] : []));
    const leased = await this.dictionary.leaseFiles(
      live.map((f) => batch.files[f] as string),
      live.map((f) => until[f] as number),
    );
    const ids = new Array<number>(batch.files.length).fill(0);
    live.forEach((f, k) => (ids[f] = leased[k] as number));
    resolveFiles(batch, ids);
  }

  private async extrasOf(shard: number, hits: readonly Hit[]): Promise<Map<Hit, Extras>> {
    const byBucket = new Map<number, Hit[]>();
    for (const hit of hits) {
      if ((hit.entry.flags & Flag.extras) === 0) continue;
      const list = byBucket.get(hit.bucket);
      if (list) list.push(hit);
      else byBucket.set(hit.bucket, [hit]);
    }
    const extras = new Map<Hit, Extras>();
    await Promise.all(
      [...byBucket].map(async ([bucket, list]) => {
        const values = await this.store.readExtras(shard, bucket, list.map((h) => h.field));
        values.forEach((value, i) => {
          if (value !== null) extras.set(list[i] as Hit, JSON.parse(value) as Extras);
        });
      }),
    );
    return extras;
  }

  private recallTerms(found: readonly Found[]): Promise<void[]> {
    const signed = found.filter((f) => f.entry.identityId !== 0);
    const withFile = found.filter((f) => f.entry.fileId !== 0);
    return Promise.all([
      this.dictionary.recall('ingress', found.map((f) => f.entry.ingressId)),
      this.dictionary.recall('source', found.map((f) => f.entry.sourceId)),
      this.dictionary.recall('identity', signed.map((f) => f.entry.identityId)),
      this.dictionary.recallFiles(
        withFile.map((f) => f.entry.fileId),
        withFile.map((f) => bucketExpiresAt(this.layout, f.bucket)),
      ),
    ]);
  }
}

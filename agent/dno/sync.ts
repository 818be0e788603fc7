/**
 * Keeps a site's DNO cache in step with the hub's master list. One agent instance per site syncs — the one that
 * holds the cache's sync lease — and the others follow the cache through its change notification (LiveDno).
 *
 * The syncing instance long-polls the hub with its cache version (`GET /v1/agent/dno?since=V&wait=SEC`, a
 * signed poll): the hub answers at once when the list moved on, or as soon as it does, so a change reaches the
 * site in well under a second. A delta is applied as one step; a whole list is streamed into the cache chunk by
 * chunk (DnoCache.replace). Nothing is applied unless the hub's seal over the stream verifies
 * (proto/dno-sync.ts). A version counts within its hub list (the list id the hub chose when it made the list):
 * the poll names the list the cache holds, and a delta is applied only to a copy of that same list, so a site
 * whose hub was wiped and rebuilt takes the whole new list instead of believing itself current. Failures back off (1 s doubling to 30 s) and never stop the loop; the last synced list
 * stays in force meanwhile.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from 'pino';
import { Agent as HttpAgent, request } from 'undici';
import { sign, verify } from '../../proto/envelope.js';
import { DNO_POLL_TYPE, DNO_SEAL_TYPE, DNO_SYNC_PATH, DnoSyncError, type DnoSyncHead, DnoSyncReader, entriesOf, MAX_LINE_BYTES } from '../../proto/dno-sync.js';
import type { KeyPair } from '../../proto/keys.js';
import type { DnoEntry } from '../../proto/messages.js';
import type { DnoCache, DnoEntryGroup } from './store.js';
import { releaseGarbage } from '../../config/heap.js';

export interface DnoSyncOptions {
  cache: DnoCache;
  hubUrl: string;
  hubId: string;
  /** The hub's public keys: the seal must verify with one of them. */
  hubKeys: readonly KeyObject[];
  provider: string;
  key: KeyPair;
  /** How long the hub may hold a poll open, seconds. */
  waitSec: number;
  log: Pick<Logger, 'info' | 'warn'>;
  /** This instance's name on the sync lease (default: a random one). */
  owner?: string;
  /** How often an instance that does not hold the lease tries to take it, ms (default 5000). */
  followMs?: number;
  /** Called after each sync that moved the cache to a new version. */
  onSynced?: (s: SyncedVersion) => void;
}

export interface SyncedVersion {
  version: number;
  full: boolean;
  entries: number;
  /** From the hub's change to this instance applying it, ms (null when the hub did not say when it changed). */
  lagMs: number | null;
}

/** A sync the hub's answer did not allow: its status and reason. */
export class DnoSyncRefused extends Error {
  override readonly name = 'DnoSyncRefused';
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`hub refused the DNO sync: ${status} ${reason}`);
  }
}

const SLACK_SEC = 15;

export class DnoSync {
  private readonly owner: string;
  private readonly http: HttpAgent;
  private readonly leaseMs: number;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private running = false;
  private syncing = false;

  constructor(private readonly o: DnoSyncOptions) {
    this.owner = o.owner ?? `${o.provider}:${randomUUID()}`;
    // The lease outlives one long poll; it is renewed before each poll and while a whole list streams in.
    this.leaseMs = (o.waitSec + SLACK_SEC) * 1000;
    this.http = new HttpAgent({ headersTimeout: this.leaseMs, bodyTimeout: 60_000, connections: 2 });
  }

  /** Does this instance hold the lease (and so sync for the site)? */
  get leader(): boolean {
    return this.syncing;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops syncing; a leader hands the lease back (renews it for 1 ms) so that another instance takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
    await this.http.close();
    if (this.syncing) await this.o.cache.acquireSyncLease(this.owner, 1).catch(() => undefined);
    this.syncing = false;
  }

  private async run(): Promise<void> {
    let backoff = 1000;
    while (this.running) {
      try {
        const holds = await this.o.cache.acquireSyncLease(this.owner, this.leaseMs);
        if (holds !== this.syncing) this.o.log.info({ owner: this.owner, syncing: holds }, holds ? 'syncing the DNO list from the hub' : 'another instance syncs the DNO list');
        this.syncing = holds;
        if (!holds) {
          await sleep(this.o.followMs ?? 5000, this.abort.signal);
          continue;
        }
        await this.syncOnce();
        backoff = 1000;
      } catch (err) {
        if (!this.running) return;
        this.o.log.warn({ err: String(err), retryInMs: backoff }, 'DNO sync failed');
        await sleep(backoff, this.abort.signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  /** One poll: apply what the hub sends, if the cache is still where it was when the poll began. */
  private async syncOnce(): Promise<void> {
    // The version counts within its list: the hub sends the whole list to a copy of another one.
    const { list, version: since } = await this.o.cache.position();
    const poll = sign(list === null ? {} : { list }, { iss: this.o.provider, aud: this.o.hubId, typ: DNO_POLL_TYPE, key: this.o.key });
    const url = `${this.o.hubUrl.replace(/\/$/, '')}${DNO_SYNC_PATH}?since=${since}&wait=${this.o.waitSec}`;
    const res = await request(url, {
      dispatcher: this.http,
      headers: { authorization: `Hoptrace ${poll}`, 'accept-encoding': 'gzip' },
      signal: this.abort.signal,
    });
    if (res.statusCode !== 200) {
      const body = (await res.body.json().catch(() => ({}))) as { error?: string };
      throw new DnoSyncRefused(res.statusCode, body.error ?? '');
    }
    // pipeline, not pipe: an aborted or broken response must end the gunzip stream too, or the read hangs.
    const body: Readable = res.headers['content-encoding'] === 'gzip' ? pipeline(res.body, createGunzip(), () => undefined) : res.body;
    const stream = new SealedStream(linesOf(body), { hubId: this.o.hubId, hubKeys: this.o.hubKeys, provider: this.o.provider });
    try {
      const head = await stream.head();
      if (head.full) await this.replace(head, stream);
      else if (head.list !== undefined && head.list === list) await this.applyDelta(head, stream, since);
      else throw new DnoSyncError(1, `a delta of list ${String(head.list)}, this site holds list ${String(list)}`);
    } finally {
      // A stream left unread (a refused delta, an error) must not hold the connection.
      body.destroy();
      res.body.destroy();
    }
  }

  private async replace(head: DnoSyncHead, stream: SealedStream): Promise<void> {
    // Renew the lease while a whole list streams in: it may take longer than one poll.
    const renew = setInterval(() => void this.o.cache.acquireSyncLease(this.owner, this.leaseMs).catch(() => undefined), this.leaseMs / 3);
    let entries = 0;
    try {
      await this.o.cache.replace(head.version, stream.adds((n) => (entries += n)), head.count ?? 0, head.list);
    } finally {
      clearInterval(renew);
    }
    this.synced(head, entries);
  }

  private async applyDelta(head: DnoSyncHead, stream: SealedStream, since: number): Promise<void> {
    const { add, remove } = await stream.delta();
    if (head.version === since) return;
    const applied = await this.o.cache.apply({ version: head.version, full: false, since: head.since ?? since, add, remove });
    if (applied) this.synced(head, add.length + remove.length);
    // Not applied: the cache moved on under us (another instance held the lease a moment ago); poll again.
  }

  private synced(head: DnoSyncHead, entries: number): void {
    const lagMs = head.at === undefined ? null : Math.max(0, Date.now() - Date.parse(head.at));
    this.o.log.info({ version: head.version, full: head.full, entries, lagMs }, 'DNO list synced');
    this.o.onSynced?.({ version: head.version, full: head.full, entries, lagMs });
    if (head.full) releaseGarbage();
  }
}

/** A sync stream read line by line; everything it yields is released only under a seal that verifies. */
class SealedStream {
  private readonly reader = new DnoSyncReader();
  private readonly it: AsyncIterator<string>;

  constructor(
    lines: AsyncIterable<string>,
    private readonly hub: { hubId: string; hubKeys: readonly KeyObject[]; provider: string },
  ) {
    this.it = lines[Symbol.asyncIterator]();
  }

  async head(): Promise<DnoSyncHead> {
    const item = this.reader.read(await this.line());
    if (item.kind !== 'head') throw new DnoSyncError(1, 'expected the head');
    return item.head;
  }

  /** The groups of a whole list, one by one; ends (without throwing) only once the seal verified. */
  async *adds(count: (n: number) => void): AsyncIterable<DnoEntryGroup> {
    for (;;) {
      const item = this.reader.read(await this.line());
      if (item.kind === 'end') return await this.seal(item.jws);
      if (item.kind !== 'group' || item.group.op !== 'add') throw new DnoSyncError(0, 'a whole list only adds');
      count(item.group.targets.length);
      yield item.group;
    }
  }

  /** A delta's entries, once its seal verified. */
  async delta(): Promise<{ add: DnoEntry[]; remove: DnoEntry[] }> {
    const add: DnoEntry[] = [];
    const remove: DnoEntry[] = [];
    for (;;) {
      const item = this.reader.read(await this.line());
      if (item.kind === 'end') {
        await this.seal(item.jws);
        return { add, remove };
      }
      if (item.kind !== 'group') throw new DnoSyncError(0, 'a second head');
      (item.group.op === 'add' ? add : remove).push(...entriesOf(item.group));
    }
  }

  private async seal(jws: string): Promise<void> {
    const v = await verify(jws, { aud: this.hub.provider, typ: DNO_SEAL_TYPE, keys: (iss) => (iss === this.hub.hubId ? this.hub.hubKeys : []) });
    this.reader.checkSeal(v.body);
  }

  private async line(): Promise<string> {
    const next = await this.it.next();
    if (next.done) throw new DnoSyncError(0, 'the stream ended before its seal');
    return next.value;
  }
}

/** Lines of a byte stream (LF-terminated, UTF-8), refusing a line longer than MAX_LINE_BYTES. */
async function* linesOf(body: AsyncIterable<Buffer>): AsyncIterable<string> {
  let rest = Buffer.alloc(0);
  for await (const chunk of body) {
    let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let nl: number;
    while ((nl = data.indexOf(10)) >= 0) {
      yield data.toString('utf8', 0, nl);
      data = data.subarray(nl + 1);
    }
    if (data.length > MAX_LINE_BYTES) throw new DnoSyncError(0, `a line longer than ${MAX_LINE_BYTES} bytes`);
    rest = Buffer.from(data);
  }
  if (rest.length > 0) yield rest.toString('utf8');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/**
 * The DNO list as agents pull it (proto/dno-sync.ts). An agent's signed poll names it and its version; the hub
 * answers with the delta since that version — after waiting for a change when there is none yet, which is what
 * brings a change to every connected agent in well under a second — or with the whole list when a delta will
 * not do (the agent is too far behind, a change in between was too large to keep, or the delta would be larger
 * than the list). Lines are produced chunk by chunk as the store reads: 3 million entries are never one object.
 */
import { categoryOfField, targetOfField } from '../../agent/dno/entry-codec.js';
import { type JtiStore, type KeyResolver, sign, verify } from '../../proto/envelope.js';
import { DNO_POLL_TYPE, DNO_SEAL_TYPE, DnoSyncWriter, GROUP_TARGETS } from '../../proto/dno-sync.js';
import type { KeyPair } from '../../proto/keys.js';
import type { PayloadCache } from './payloads.js';
import type { DnoListStore } from './store.js';

export interface DnoFeedOptions {
  store: DnoListStore;
  payloads: PayloadCache;
  hubId: string;
  key: KeyPair;
  /** The keys registered for a provider's agents. */
  keys: KeyResolver;
  jti: JtiStore;
  now?: () => number;
}

/** An agent that has never synced asks from this version: it gets the whole list. */
export const NEVER_SYNCED = -1;

/** A signed poll: who asks, and which list its version counts in (none before its first sync). */
export interface DnoPoll {
  provider: string;
  list?: string;
}

export class DnoFeed {
  constructor(private readonly o: DnoFeedOptions) {}

  /** The poll a signed poll makes; an EnvelopeError when it is not authentic, fresh and for this hub. */
  async open(jws: string): Promise<DnoPoll> {
    const v = await verify(jws, { aud: this.o.hubId, typ: DNO_POLL_TYPE, keys: this.o.keys, jti: this.o.jti, now: (this.o.now ?? Date.now)() });
    const list = (v.body as { list?: unknown } | null)?.list;
    return { provider: v.claims.iss, ...(typeof list === 'string' && { list }) };
  }

  /**
   * Resolves when the list's version is no longer `since` (or the list is not the poll's), after `waitMs`, or
   * when `signal` aborts.
   */
  waitForChange(poll: DnoPoll, since: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      // Listen before reading the version: a change between the two would otherwise wait out the poll.
      const off = this.o.store.onChange((v) => v !== since && finish());
      const timer = setTimeout(finish, waitMs);
      signal?.addEventListener('abort', finish, { once: true });
      this.o.store.summary().then((s) => (s.version !== since || s.list !== poll.list) && finish(), finish);
    });
  }

  /**
   * The sync stream for a poll at version `since`, line by line. A version of another list (the hub's store was
   * wiped since) means nothing here: that agent takes the whole list.
   */
  async *lines(poll: DnoPoll, since: number): AsyncIterable<string> {
    const { store } = this.o;
    const writer = new DnoSyncWriter();
    const summary = await store.summary();
    const list = summary.list;
    const behind = since === NEVER_SYNCED || poll.list !== list ? null : await store.deltaSince(since);
    if (behind !== null && behind.delta.size <= summary.total) {
      const at = await this.madeAt(behind.version);
      yield writer.head({ version: behind.version, full: false, since, list, ...(at && { at }) });
      const removed = [...behind.delta.remove];
      yield* this.groups(writer, 'remove', removed, null);
      yield* this.groups(writer, 'add', [...behind.delta.add.keys()], [...behind.delta.add.values()]);
    } else {
      const { version, chunks } = await store.read();
      const at = await this.madeAt(version);
      yield writer.head({ version, full: true, list, count: summary.total, ...(at && { at }) });
      for await (const chunk of chunks) yield* this.groups(writer, 'add', chunk.fields, chunk.pids);
    }
    const seal = sign(writer.sealBody(), { iss: this.o.hubId, aud: poll.provider, typ: DNO_SEAL_TYPE, key: this.o.key });
    yield writer.end(seal);
  }

  /** Group lines of entries sharing category and payload (removals: category), as one string per call. */
  private async *groups(writer: DnoSyncWriter, op: 'add' | 'remove', fields: readonly string[], pids: readonly string[] | null): AsyncIterable<string> {
    if (pids !== null) await this.o.payloads.load(pids);
    const groups = new Map<string, string[]>();
    const lines: string[] = [];
    const emit = (key: string, targets: string[]) => {
      const pid = key.slice(1);
      lines.push(writer.group({ op, category: categoryOfField(key), ...(pid !== '' && this.o.payloads.get(pid)), targets }));
    };
    fields.forEach((field, i) => {
      const key = field[0]! + (pids === null ? '' : pids[i]!);
      let targets = groups.get(key);
      if (targets === undefined) groups.set(key, (targets = []));
      targets.push(targetOfField(field));
      if (targets.length < GROUP_TARGETS) return;
      emit(key, targets);
      groups.delete(key);
    });
    for (const [key, targets] of groups) emit(key, targets);
    if (lines.length > 0) yield lines.join('');
  }

  private async madeAt(version: number): Promise<string | undefined> {
    if (version === 0) return undefined;
    return (await this.o.store.rows([version]))[0]?.when;
  }
}

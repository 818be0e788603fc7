/**
 * The CDR call source (STYLE.md: one of the agent's call sources): follows the files a switch writes into one
 * directory and indexes their records. Files are followed as they grow and read only up to their last complete
 * unit (line or record element); a file is finished — its last unit read even without an end of line — once
 * it has settled and a newer file exists (or it was renamed away or deleted: its open handle is drained), and
 * a .gz or an XML document once it has settled. Rotation by rename keeps the inode and so the position; a file
 * truncated or replaced in place is read again from its start; a copy (copytruncate, gzip) goes on where the
 * original stopped (resume.ts). Positions advance in the store only after the index acknowledged the records
 * before them (batcher.ts): kill the agent at any point and a restart loses no call; the records of a batch it
 * sends again are ones the index holds already, and its lookups return each record once.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TrunkRules } from '../../proto/tn.js';
import type { CallIndex } from '../calls/store.js';
import { Backoff, pause, type BackoffOptions } from './backoff.js';
import { Batcher } from './batcher.js';
import type { CheckpointStore, FileCheckpoint } from './checkpoints.js';
import { fileChunks, GzipError, gunzipChunks, skipBytes, withStart } from './chunks.js';
import { CdrLineError, type CdrFormat } from './format.js';
import { Followed, type Mark } from './followed.js';
import { cdrFormat } from './formats.js';
import { defaultPattern, fileMatcher, isGzip } from './glob.js';
import { fileKey, HEAD_BYTES, headOf, startsWith } from './identity.js';
import { sourceMetrics, type SourceMetrics } from './metrics.js';
import { optionsOf, OptionsProblem } from './options.js';
import { resumePoint } from './resume.js';
import { sourceRules } from './rules.js';
import { UnitReader } from './unit-reader.js';
import { DirWatch } from './watch.js';

export interface TailerTuning {
  /** Look at the directory at least this often, whatever fs events say. */
  pollMs: number;
  /** After a filesystem event, wait this long for the burst to end before looking. */
  eventDelayMs: number;
  /** A file unchanged this long may be finished (see the file comment). */
  settleMs: number;
  chunkBytes: number;
  /** A line or record element longer than this is skipped as a line error. */
  maxUnitBytes: number;
  batchRecords: number;
  batchDelayMs: number;
  retry: BackoffOptions;
  /** On stop, how long to wait for the store to take what was read. */
  stopGraceMs: number;
  /** Checkpoints of files gone from the directory are dropped this long after they went. */
  forgetAfterMs: number;
  maxLoggedErrorsPerFile: number;
}

export const DEFAULT_TUNING: Readonly<TailerTuning> = {
  pollMs: 1000,
  eventDelayMs: 100,
  settleMs: 2000,
  chunkBytes: 256 * 1024,
  maxUnitBytes: 16 * 1024 * 1024,
  batchRecords: 5000,
  batchDelayMs: 50,
  retry: { initialMs: 100, maxMs: 5000 },
  stopGraceMs: 2000,
  forgetAfterMs: 3_600_000,
  maxLoggedErrorsPerFile: 100,
};

/** A configured CDR source (config/agent.ts `cdr[]`); the format is checked against the readers by name. */
export interface CdrSourceSettings {
  format: string;
  dir: string;
  /** IANA zone of local times in the files. */
  zone: string;
  pattern?: string | undefined;
  options: Record<string, unknown>;
  /** Number rules and ingress naming (rules.ts). */
  numbers?: TrunkRules | undefined;
  trunks?: readonly (TrunkRules & { trunkGroup: string })[] | undefined;
  ingress?: { realm?: string | undefined; trunkGroupPrefix?: string | undefined } | undefined;
}

export interface CdrTailerOptions {
  source: CdrSourceSettings;
  index: CallIndex;
  checkpoints: CheckpointStore;
  log: Logger;
  metrics?: Registry;
  tuning?: Partial<TailerTuning>;
}

export interface CdrTailer {
  /** `<format>:<dir>[:<pattern>]`: the metrics label and the checkpoints' name. */
  readonly source: string;
  /** Checkpoints loaded and the directory readable. */
  ready(): boolean;
  stop(): Promise<void>;
}

/** A CDR source that cannot be read as configured; `path` is relative to the source (`format`, `options.columns`). */
export class CdrSourceError extends Error {
  override readonly name = 'CdrSourceError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

interface Retired {
  at: number;
  checkpoint: FileCheckpoint;
  /** The Followed whose content it is, while its last batches may still advance it. */
  from: Followed | undefined;
}

export function startCdrTailer(o: CdrTailerOptions): CdrTailer {
  const format = cdrFormat(o.source.format);
  if (format === undefined) throw new CdrSourceError('format', `no CDR reader named ${JSON.stringify(o.source.format)}`);
  const options = optionsOf(format.options, o.source.options);
  if (options instanceof OptionsProblem) {
    // `options.columns.calling: Invalid input`: the path, then why.
    const colon = options.reason.indexOf(': ');
    throw colon < 0 ? new CdrSourceError('options', options.reason) : new CdrSourceError(options.reason.slice(0, colon), options.reason.slice(colon + 2));
  }
  const tailer = new Tailer(o, format);
  tailer.start();
  return tailer;
}

export function sourceName(source: CdrSourceSettings): string {
  return `${source.format}:${resolve(source.dir)}${source.pattern === undefined ? '' : `:${source.pattern}`}`;
}

class Tailer implements CdrTailer {
  readonly source: string;
  private readonly dir: string;
  private readonly t: TailerTuning;
  private readonly log: Logger;
  private readonly matches: (name: string) => boolean;
  private readonly batcher: Batcher<Followed, Mark>;
  private readonly reader: UnitReader;
  private readonly metrics: SourceMetrics | undefined;
  private readonly files = new Map<string, Followed>();
  /** The latest acknowledged checkpoint of every file the store knows. */
  private readonly known = new Map<string, FileCheckpoint>();
  /** Checkpoints of content replaced at its inode, kept to find copies of it (copytruncate). */
  private retired: Retired[] = [];
  private readonly goneSince = new Map<string, number>();
  private readonly stopping = new AbortController();
  private watch: DirWatch | undefined;
  private loaded = false;
  /** Whether the last look at the directory could read it (undefined before the first). */
  private dirOk: boolean | undefined;
  private dirty = false;
  private running: Promise<void> | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly o: CdrTailerOptions,
    private readonly format: CdrFormat,
  ) {
    this.source = sourceName(o.source);
    this.dir = resolve(o.source.dir);
    this.t = { ...DEFAULT_TUNING, ...o.tuning };
    this.log = o.log.child({ part: 'cdr', source: this.source });
    this.matches = fileMatcher(o.source.pattern ?? defaultPattern(format));
    this.metrics = o.metrics && sourceMetrics(o.metrics, this.source, { lagSeconds: () => this.lagSeconds(), filesFollowed: () => this.followed() });
    this.batcher = new Batcher<Followed, Mark>({
      index: o.index,
      commit: (marks) => this.commit(marks),
      maxRecords: this.t.batchRecords,
      maxDelayMs: this.t.batchDelayMs,
      backoff: this.t.retry,
      log: this.log,
      onIndexed: (n) => this.metrics?.indexed(n),
      onRefused: (file, line, reason) => this.reject(undefined, new CdrLineError(file, line, `the call index refused the record: ${reason}`, '')),
    });
    this.reader = new UnitReader({
      format,
      zone: o.source.zone,
      options: o.source.options,
      rules: sourceRules(o.source),
      batcher: this.batcher,
      metrics: this.metrics,
      maxUnitBytes: this.t.maxUnitBytes,
      reject: (f, e) => this.reject(f, e),
      path: (f) => this.path(f),
      stopped: this.stopping.signal,
    });
  }

  start(): void {
    this.starting = this.loadCheckpoints().then(() => {
      if (this.stopping.signal.aborted) return;
      this.loaded = true;
      this.watch = new DirWatch(this.dir, () => this.kick(), { pollMs: this.t.pollMs, eventDelayMs: this.t.eventDelayMs });
      this.log.info({ dir: this.dir, watching: this.watch.watching }, 'following CDR files');
      this.kick();
    });
  }

  ready(): boolean {
    return this.loaded && this.dirOk === true;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.watch?.close();
    await this.starting;
    await this.batcher.close(this.t.stopGraceMs);
    await this.running;
    for (const f of this.files.values()) await this.closeHandle(f);
    this.metrics?.remove();
  }

  private async loadCheckpoints(): Promise<void> {
    const backoff = new Backoff(this.t.retry);
    for (let warned = false; !this.stopping.signal.aborted; ) {
      try {
        for (const c of await this.o.checkpoints.load(this.source)) this.known.set(c.key, c);
        return;
      } catch (err) {
        if (!warned) this.log.warn({ err }, 'cannot load CDR checkpoints: retrying before reading any file');
        warned = true;
        await pause(backoff.next(), this.stopping.signal);
      }
    }
  }

  private kick(): void {
    this.dirty = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopping.signal.aborted) {
      this.dirty = false;
      try {
        await this.scan();
      } catch (err) {
        this.log.error({ err }, 'CDR directory scan failed');
      }
    }
  }

  /** One look at the directory: find files, follow each with work to do, oldest first. */
  private async scan(): Promise<void> {
    const now = Date.now();
    const listing = await this.list();
    if (listing === undefined) return;
    const present = new Set<string>();
    for (const { name, size, mtimeMs, key } of listing) {
      present.add(key);
      let f = this.files.get(key);
      if (f === undefined) this.files.set(key, (f = new Followed(key, name, isGzip(name))));
      f.name = name;
      f.present = true;
      f.observe(size, mtimeMs, now);
      if (f.gz && f.head === undefined) this.recallCompleteGzip(f);
    }
    for (const f of [...this.files.values()]) {
      if (present.has(f.key)) continue;
      f.present = false;
      const s = f.handle && !f.complete ? await f.handle.stat().catch(() => undefined) : undefined;
      if (s === undefined) {
        await this.closeHandle(f);
        this.files.delete(f.key);
      } else f.observe(s.size, s.mtimeMs, now);
    }
    const newest = listing.reduce((max, l) => Math.max(max, l.mtimeMs), 0);
    const work = [...this.files.values()].filter((f) => !f.complete).sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
    for (const f of work) {
      if (this.stopping.signal.aborted) return;
      await this.follow(f, now, newest);
    }
    await this.prune(present, now);
  }

  private async list(): Promise<{ name: string; key: string; size: number; mtimeMs: number }[] | undefined> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (this.dirOk !== false) this.log.warn({ err, dir: this.dir }, 'cannot read the CDR directory: retrying');
      this.dirOk = false;
      return undefined;
    }
    if (this.dirOk === false) this.log.info({ dir: this.dir }, 'the CDR directory can be read again');
    this.dirOk = true;
    const listing = [];
    for (const name of names) {
      if (!this.matches(name)) continue;
      const s = await stat(join(this.dir, name), { bigint: true }).catch(() => undefined);
      if (s?.isFile()) listing.push({ name, key: fileKey(s), size: Number(s.size), mtimeMs: Number(s.mtimeMs) });
    }
    return listing;
  }

  /** A .gz its checkpoint says was read to its end at this size and mtime is not decompressed again. */
  private recallCompleteGzip(f: Followed): void {
    const c = this.known.get(f.key);
    if (c?.complete?.size !== f.size || c.complete.mtimeMs !== f.mtimeMs) return;
    f.head = c.head;
    f.read = f.acked = { offset: c.offset, line: c.line };
    f.readTo = f.size;
    f.complete = true;
    f.notePending();
  }

  private async follow(f: Followed, now: number, newest: number): Promise<void> {
    try {
      await this.readWhatIsDue(f, now, newest);
      f.readError = undefined;
    } catch (err) {
      if (err instanceof GzipError) {
        f.gzFailed = { size: f.size, mtimeMs: f.mtimeMs };
        this.log.warn({ file: err.file, reason: err.reason }, 'cannot decompress CDR file: tried again when it changes');
        return;
      }
      const reason = (err as Error).message;
      if (f.readError !== reason) this.log.warn({ err, file: this.path(f) }, 'cannot read CDR file: tried again at the next look');
      f.readError = reason;
      await this.closeHandle(f);
    }
  }

  private async readWhatIsDue(f: Followed, now: number, newest: number): Promise<void> {
    const settled = f.settled(now, this.t.settleMs);
    if (f.gz) {
      if (settled && !(f.gzFailed?.size === f.size && f.gzFailed.mtimeMs === f.mtimeMs)) await this.readGzip(f);
      return;
    }
    const finish = settled && (this.format.framing === 'xml-document' || !f.present || f.mtimeMs < newest);
    if (this.format.framing === 'xml-document' && !finish) return;
    const current = await this.opened(f);
    if (current !== undefined && (current.size > current.readTo || finish)) await this.readPlain(current, finish);
  }

  /**
   * The file open and its identity checked: the Followed to read, which is a new one when the content at this
   * inode was replaced (truncated, or the inode recycled for a new file) since it was last read.
   */
  private async opened(f: Followed): Promise<Followed | undefined> {
    if (!(await this.openHandle(f))) return undefined;
    if (!f.unverified) return f;
    const start = await this.startOf(f);
    f.unverified = false;
    if (f.head === undefined) {
      this.resumeAt(f, start, f.size);
      return f;
    }
    if (f.size >= f.read.offset && startsWith(start, f.head)) {
      if (f.head.length < HEAD_BYTES) f.head = headOf(start);
      return f;
    }
    const renewed = this.replace(f);
    renewed.unverified = false;
    this.resumeAt(renewed, start, renewed.size);
    return renewed;
  }

  /** False when the name no longer leads to this file (renamed or replaced since it was listed). */
  private async openHandle(f: Followed): Promise<boolean> {
    if (f.handle !== undefined) return true;
    const handle = await open(this.path(f), 'r').catch(() => undefined);
    if (handle === undefined) return false;
    if (fileKey(await handle.stat({ bigint: true })) !== f.key) {
      await handle.close();
      return false;
    }
    f.handle = handle;
    return true;
  }

  private async startOf(f: Followed): Promise<Buffer> {
    const { buffer, bytesRead } = await (f.handle as NonNullable<Followed['handle']>).read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  }

  /** Decides where a newly seen file's reading starts, from its first bytes. */
  private resumeAt(f: Followed, start: Buffer, size: number | undefined): void {
    const others = [...this.known.values(), ...this.retired.map((r) => r.checkpoint)];
    const own = this.known.get(f.key);
    const r = resumePoint({ key: f.key, start, ...(size !== undefined && { size }) }, own, others);
    // Its inode holds other content now (copytruncate while the agent was down): a copy may still need that one.
    if (own !== undefined && (r.offset !== own.offset || r.copyOf !== undefined)) this.retired.push({ at: Date.now(), checkpoint: own, from: undefined });
    f.head = headOf(start);
    f.read = { offset: r.offset, line: r.line };
    f.acked = { ...f.read };
    if (!f.gz) f.readTo = Math.min(r.offset, f.size);
    if (r.copyOf) this.log.info({ file: this.path(f), copyOf: r.copyOf.name, offset: r.offset }, 'CDR file is a copy of one read before: going on from there');
    else if (r.offset > 0) this.log.info({ file: this.path(f), offset: r.offset, line: r.line }, 'resuming CDR file at its checkpoint');
    f.notePending();
  }

  /** New content at a followed inode: the old content's checkpoint is retired, the file read as new. */
  private replace(f: Followed): Followed {
    const checkpoint = f.checkpoint(f.acked);
    if (checkpoint) this.retired.push({ at: Date.now(), checkpoint, from: f });
    f.retired = true;
    const renewed = new Followed(f.key, f.name, f.gz);
    renewed.handle = f.handle;
    f.handle = undefined;
    renewed.present = f.present;
    renewed.observe(f.size, f.mtimeMs, f.unchangedSince);
    this.files.set(f.key, renewed);
    this.log.info({ file: this.path(f) }, 'CDR file was truncated or replaced: reading it from its start');
    return renewed;
  }

  private async readPlain(f: Followed, finish: boolean): Promise<void> {
    const size = f.size;
    const done = await this.reader.read(f, fileChunks(f.handle as NonNullable<Followed['handle']>, f.read.offset, size, this.t.chunkBytes), finish);
    if (!done) return;
    f.readTo = size;
    if (finish) {
      f.complete = true;
      await this.closeHandle(f);
      if (!f.present) this.files.delete(f.key);
    }
    f.notePending();
  }

  private async readGzip(f: Followed): Promise<void> {
    if (!(await this.openHandle(f))) return;
    const size = f.size;
    const mtimeMs = f.mtimeMs;
    const { start, content } = await withStart(gunzipChunks(f.handle as NonNullable<Followed['handle']>, this.path(f), this.t.chunkBytes), HEAD_BYTES);
    if (f.head === undefined) this.resumeAt(f, start, undefined);
    else if (!startsWith(start, f.head)) this.resumeAt((f = this.replace(f)), start, undefined);
    if (!(await this.reader.read(f, skipBytes(content, f.read.offset), true))) return;
    f.readTo = size;
    f.complete = true;
    this.batcher.push(f, this.path(f), [], [], { ...f.read, complete: { size, mtimeMs } });
    await this.closeHandle(f);
    f.notePending();
  }

  /** A malformed line: counted, logged with file and line (not the line: CDRs are CPNI), skipped (DESIGN §8). */
  private reject(f: Followed | undefined, e: CdrLineError): void {
    this.metrics?.rejected(1);
    const logged = f ? f.errorsLogged++ : 0;
    if (logged < this.t.maxLoggedErrorsPerFile) this.log.warn({ file: e.file, line: e.line, reason: e.reason }, 'malformed CDR line skipped');
    else if (logged === this.t.maxLoggedErrorsPerFile) this.log.warn({ file: e.file }, 'more malformed lines in this file: counted, no longer logged');
  }

  private async commit(marks: ReadonlyMap<Followed, Mark>): Promise<void> {
    const checkpoints: [Followed, Mark, FileCheckpoint][] = [];
    for (const [f, mark] of marks) {
      const c = f.checkpoint(mark);
      if (c) checkpoints.push([f, mark, c]);
    }
    await this.o.checkpoints.save(this.source, checkpoints.map(([, , c]) => c));
    for (const [f, mark, c] of checkpoints) {
      f.acked = mark;
      f.notePending();
      // The store holds it, but a file's newer content owns its key in `known`.
      const retired = f.retired ? this.retired.find((r) => r.from === f) : undefined;
      if (retired) retired.checkpoint = c;
      if (!f.retired) this.known.set(f.key, c);
    }
  }

  /** Forgets checkpoints of files gone for `forgetAfterMs`: rotation deletes files, their checkpoints must go too. */
  private async prune(present: ReadonlySet<string>, now: number): Promise<void> {
    const expired: string[] = [];
    for (const key of this.known.keys()) {
      if (present.has(key) || this.files.has(key)) this.goneSince.delete(key);
      else if (!this.goneSince.has(key)) this.goneSince.set(key, now);
      else if (now - (this.goneSince.get(key) as number) >= this.t.forgetAfterMs) expired.push(key);
    }
    this.retired = this.retired.filter((r) => now - r.at < this.t.forgetAfterMs);
    if (expired.length === 0) return;
    try {
      await this.o.checkpoints.forget(this.source, expired);
      for (const key of expired) (this.known.delete(key), this.goneSince.delete(key));
    } catch {
      // The store is down: forgotten at a later look.
    }
  }

  private async closeHandle(f: Followed): Promise<void> {
    const handle = f.handle;
    f.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private path(f: Followed): string {
    return join(this.dir, f.name);
  }

  private followed(): number {
    let n = 0;
    for (const f of this.files.values()) if (!f.complete) n++;
    return n;
  }

  private lagSeconds(): number {
    let oldest = Infinity;
    for (const f of this.files.values()) if (f.pendingSince !== undefined) oldest = Math.min(oldest, f.pendingSince);
    return oldest === Infinity ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
  }
}

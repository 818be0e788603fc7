/**
 * The DNO delta (DESIGN §5) as it travels from the hub to an agent: framed as NDJSON so that a full list of
 * 3 million entries is written and applied group by group, never built as one JSON object.
 *
 *   {"version":12,"full":false,"since":11,"list":"…","at":"2026-…"}         the head
 *   {"op":"add","category":"listed","reason":"…","source":"…","targets":["+12025550100","+1900*"]}
 *   {"op":"remove","category":"listed","targets":["+13015550100-+13015550199"]}     any number of groups
 *   {"end":"<jws>"}                                                           the seal
 *
 * The groups together are the delta's add[] and remove[] (entries of a group share category, reason, source;
 * targets are written as in proto/dno-target.ts). The seal is an envelope signed by the hub (typ `dno-delta`,
 * aud the agent) over the version, the counts and the SHA-256 of every byte before it: an agent applies nothing
 * the hub did not sign, and a stream cut short has no seal.
 */
import { createHash, type Hash } from 'node:crypto';
import { z } from 'zod';
import { type DnoTarget, isE164, parseTarget } from './dno-target.js';
import { DnoCategory, type DnoEntry, formatPath, Instant } from './messages.js';

/** Envelope types: the agent's signed poll, and the hub's seal. */
export const DNO_POLL_TYPE = 'dno-poll';
export const DNO_SEAL_TYPE = 'dno-delta';
export const DNO_SYNC_PATH = '/v1/agent/dno';
export const DNO_SYNC_CONTENT_TYPE = 'application/x-ndjson';
/** Targets per group line. */
export const GROUP_TARGETS = 10_000;
/** Longest line a reader accepts, bytes: a group of GROUP_TARGETS ranges with a long reason fits. */
export const MAX_LINE_BYTES = 1 << 20;

/** A hub list's id (its epoch): chosen when the list was created, new after the hub's store was wiped. */
const ListId = z.string().min(1).max(64);

export const DnoSyncHead = z.object({
  version: z.number().int().min(0),
  full: z.boolean(),
  /** The list this version belongs to: an agent applies a delta only to a copy of the same list. */
  list: ListId.optional(),
  since: z.number().int().min(0).optional(),
  /** Entries a full list holds: sizes the agent's cache before they arrive. */
  count: z.number().int().min(0).optional(),
  /** When the hub made this version (for the agent's sync lag). */
  at: Instant.optional(),
});
export type DnoSyncHead = z.infer<typeof DnoSyncHead>;

export const DnoSyncGroup = z.object({
  op: z.enum(['add', 'remove']),
  category: DnoCategory,
  reason: z.string().max(256).optional(),
  source: z.string().max(128).optional(),
  targets: z.array(z.string()).max(GROUP_TARGETS),
});
export type DnoSyncGroup = z.infer<typeof DnoSyncGroup>;

export const DnoSyncSeal = z.object({
  version: z.number().int().min(0),
  full: z.boolean(),
  list: ListId.optional(),
  since: z.number().int().min(0).optional(),
  groups: z.number().int().min(0),
  entries: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type DnoSyncSeal = z.infer<typeof DnoSyncSeal>;

/** A sync stream that is not what this file describes; `line` is 1-based. */
export class DnoSyncError extends Error {
  override readonly name = 'DnoSyncError';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`DNO sync stream, line ${line}: ${reason}`);
  }
}

/** Writes a sync stream: each call returns one line (with its newline) and adds it to the digest. */
export class DnoSyncWriter {
  private readonly hash = createHash('sha256');
  private groups = 0;
  private entries = 0;
  private started: DnoSyncHead | null = null;

  head(head: DnoSyncHead): string {
    this.started = head;
    return this.line(head);
  }

  group(group: DnoSyncGroup): string {
    this.groups++;
    this.entries += group.targets.length;
    return this.line(group);
  }

  /** What the seal's envelope signs: call after the last group. */
  sealBody(): DnoSyncSeal {
    const head = this.started;
    if (head === null) throw new Error('DnoSyncWriter: seal before head');
    const body: DnoSyncSeal = { version: head.version, full: head.full, groups: this.groups, entries: this.entries, sha256: this.hash.digest('hex') };
    if (head.since !== undefined) body.since = head.since;
    if (head.list !== undefined) body.list = head.list;
    return body;
  }

  end(jws: string): string {
    return `${JSON.stringify({ end: jws })}\n`;
  }

  private line(value: unknown): string {
    const text = `${JSON.stringify(value)}\n`;
    this.hash.update(text, 'utf8');
    return text;
  }
}

export type DnoSyncItem = { kind: 'head'; head: DnoSyncHead } | { kind: 'group'; group: DnoSyncGroup } | { kind: 'end'; jws: string };

/** Reads a sync stream line by line (each without its newline), hashing every byte before the seal. */
export class DnoSyncReader {
  private readonly hash: Hash = createHash('sha256');
  private lines = 0;
  private groups = 0;
  private entries = 0;
  private head: DnoSyncHead | null = null;
  private ended = false;

  read(text: string): DnoSyncItem {
    const n = ++this.lines;
    if (this.ended) throw new DnoSyncError(n, 'a line after the seal');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new DnoSyncError(n, 'not JSON');
    }
    if (this.head === null) {
      this.head = check(DnoSyncHead, value, n);
      this.hash.update(`${text}\n`, 'utf8');
      return { kind: 'head', head: this.head };
    }
    if (typeof value === 'object' && value !== null && 'end' in value) {
      const jws = (value as { end: unknown }).end;
      if (typeof jws !== 'string') throw new DnoSyncError(n, 'end: expected the seal as a string');
      this.ended = true;
      return { kind: 'end', jws };
    }
    const group = check(DnoSyncGroup, value, n);
    checkTargets(group.targets, n);
    this.hash.update(`${text}\n`, 'utf8');
    this.groups++;
    this.entries += group.targets.length;
    return { kind: 'group', group };
  }

  /** Throws unless `seal` (the verified seal's body) covers exactly what was read. */
  checkSeal(body: unknown): void {
    const n = this.lines;
    const seal = check(DnoSyncSeal, body, n);
    const head = this.head;
    if (head === null || !this.ended) throw new DnoSyncError(n, 'a seal without a head');
    if (seal.version !== head.version || seal.full !== head.full || seal.since !== head.since || seal.list !== head.list) {
      throw new DnoSyncError(n, `the seal is for version ${seal.version}, the head says ${head.version}`);
    }
    if (seal.groups !== this.groups || seal.entries !== this.entries) {
      throw new DnoSyncError(n, `the seal counts ${seal.entries} entries in ${seal.groups} groups, the stream had ${this.entries} in ${this.groups}`);
    }
    if (seal.sha256 !== this.hash.digest('hex')) throw new DnoSyncError(n, 'the SHA-256 of the stream does not match its seal');
  }
}

function check<S extends z.ZodType>(schema: S, value: unknown, line: number): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new DnoSyncError(line, `${formatPath(issue?.path ?? []) || '(line)'}: ${issue?.message ?? 'invalid'}`);
}

/** Every target must be what proto/dno-target.ts writes; numbers (most of a list) are checked without allocating. */
function checkTargets(targets: readonly string[], line: number): void {
  for (let i = 0; i < targets.length; i++) {
    const text = targets[i]!;
    if (isE164(text)) continue;
    const target = parseTarget(text);
    if (typeof target === 'string') throw new DnoSyncError(line, `targets[${i}]: ${target}`);
  }
}

/** A group's entries as protocol objects (a delta's; a whole list goes to the cache as groups). */
export function entriesOf(group: DnoSyncGroup): DnoEntry[] {
  const { category, reason, source } = group;
  return group.targets.map((text) => {
    const entry: DnoEntry = { ...(parseTarget(text) as DnoTarget), category };
    if (reason !== undefined) entry.reason = reason;
    if (source !== undefined) entry.source = source;
    return entry;
  });
}

/**
 * A batch of call records, checked and reduced to what entries hold, before anything is written: one bad
 * record rejects the batch with its path (`records[3].called`) and nothing changes. Columns rather than an
 * object per call: ingestion runs at 100,000 calls/s, and per-call objects that live as long as the batch
 * cost more in garbage collection than all the packing.
 */
import { z } from 'zod';
import { CallSource, IdentityInfo, Ingress, formatPath } from '../../proto/messages.js';
import { Flag, INTERNED_KINDS, MAX_LINE_OFFSET, e164Digits, notE164, type Extras, type InternedKind, type TermKind } from './codec.js';
import { CallIndexInputError } from './errors.js';
import { fileTerm } from './file-term.js';
import { fnv1a } from './fnv1a.js';
import type { CallRecord } from './record.js';

const TERM_SCHEMAS: Readonly<Record<TermKind, z.ZodType>> = {
  ingress: Ingress,
  source: CallSource,
  identity: IdentityInfo,
  file: z.string().min(1).max(4096).regex(/^[^\u0000]*$/, 'must not contain NUL'),
};
/** `<dev>:<ino>` (agent/cdr/identity.ts). */
const FILE_KEY = /^\d{1,20}:\d{1,20}$/;

/** A term the dictionary did not know when the batch was prepared: its id is filled in once learned. */
export interface PendingTerm {
  index: number;
  kind: InternedKind;
  term: string;
}

export interface PreparedBatch {
  size: number;
  /** The called numbers as given (E.164): what shards are computed from. */
  calledE164: string[];
  called: Float64Array;
  calling: Float64Array;
  at: Float64Array;
  /** anonymous, clockUntrusted and callingRaw; the writer adds extras and altTime. */
  flags: Uint8Array;
  /** Dictionary ids per kind; identity 0 = unsigned, file 0 = no evidence. */
  ids: Record<TermKind, Uint32Array>;
  /** Byte offset of each record's line in its evidence file. */
  lineOffset: Float64Array;
  /** The distinct evidence file terms (file-term.ts), and each record's index into them (-1: none). */
  files: string[];
  fileOf: Int32Array;
  /** Rare columns, by record index. */
  atAlt: Map<number, number>;
  /** Overflow besides the other time: a raw calling number (with the call id, then cheap to keep). */
  extras: Map<number, Extras>;
  pending: PendingTerm[];
}

function reject(index: number, field: string, reason: string): never {
  throw new CallIndexInputError(`records[${index}]${field && `.${field}`}`, reason);
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;
const TIME_REASON = 'must be UTC epoch milliseconds, a non-negative integer';

/** Canonical JSON, fields in a fixed order, so equal ingresses intern to one id. */
function ingressTerm(i: CallRecord['ingress']): string {
  // A site has a few thousand ingresses and every call names one: JSON.stringify per call was the costliest step
  // of preparing a batch, a lookup by the fields joined is a fraction of it.
  if (!plainIngress(i)) return JSON.stringify({ ip: i.ip, port: i.port, trunkGroup: i.trunkGroup, realm: i.realm });
  const key = `${i.ip ?? UNSET}\u0000${i.port ?? UNSET}\u0000${i.trunkGroup ?? UNSET}\u0000${i.realm ?? UNSET}`;
  let term = ingressTerms.get(key);
  if (term === undefined) {
    if (ingressTerms.size >= MAX_CACHED_INGRESS_TERMS) ingressTerms.clear();
    term = JSON.stringify({ ip: i.ip, port: i.port, trunkGroup: i.trunkGroup, realm: i.realm });
    ingressTerms.set(key, term);
  }
  return term;
}

/** Stands for an absent field in an ingress's cache key ('' is a value). */
const UNSET = '\u0001';
const MAX_CACHED_INGRESS_TERMS = 65_536;
const ingressTerms = new Map<string, string>();

/** Fields of the types a key can stand for: anything else (`port: '5060'`) goes to the schema check unkeyed. */
function plainIngress(i: CallRecord['ingress']): boolean {
  return optionalText(i.ip) && optionalText(i.trunkGroup) && optionalText(i.realm) && (i.port === undefined || typeof i.port === 'number');
}

function optionalText(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}

function identityTerm(i: NonNullable<CallRecord['identity']>): string {
  return JSON.stringify({ attest: i.attest, origid: i.origid, signer: i.signer, verified: i.verified, reason: i.reason });
}

/**
 * Checks every record and looks its terms up in `idOf` (the dictionary's cache). A term it does not know is
 * validated against its protocol schema (once per batch) and left pending: a known term was valid when first
 * seen, so a batch costs one schema check per new ingress, source or identity. Evidence files are gathered
 * per batch (`files`): their ids are leased once the batch's buckets are known (dictionary.ts).
 */
export function prepareBatch(records: readonly CallRecord[], idOf: (kind: InternedKind, term: string) => number | undefined): PreparedBatch {
  const size = records.length;
  const batch: PreparedBatch = {
    size,
    calledE164: new Array<string>(size),
    called: new Float64Array(size),
    calling: new Float64Array(size),
    at: new Float64Array(size),
    flags: new Uint8Array(size),
    ids: { ingress: new Uint32Array(size), source: new Uint32Array(size), identity: new Uint32Array(size), file: new Uint32Array(size) },
    lineOffset: new Float64Array(size),
    files: [],
    fileOf: new Int32Array(size).fill(-1),
    atAlt: new Map(),
    extras: new Map(),
    pending: [],
  };
  const validated = new Set<string>();
  const useTerm = (index: number, kind: InternedKind, term: string, value: unknown) => {
    const id = idOf(kind, term);
    if (id !== undefined) {
      batch.ids[kind][index] = id;
      return;
    }
    if (!validated.has(kind + term)) {
      checkTerm(index, kind, value);
      validated.add(kind + term);
    }
    batch.pending.push({ index, kind, term });
  };
  // Records of one file follow each other: the last file's index answers most of them without building its term.
  const fileIndex = new Map<string, number>();
  let last: { file: unknown; fileKey: unknown; index: number } | undefined;
  const useFile = (index: number, file: unknown, fileKey: unknown): number => {
    if (last !== undefined && last.file === file && last.fileKey === fileKey) return last.index;
    if (fileKey !== undefined && (typeof fileKey !== 'string' || !FILE_KEY.test(fileKey))) {
      reject(index, 'evidence.fileKey', `must be <dev>:<ino> (got ${JSON.stringify(fileKey)})`);
    }
    const term = fileTerm(typeof file === 'string' ? file : '', fileKey as string | undefined);
    let at = fileIndex.get(term);
    if (at === undefined) {
      checkTerm(index, 'file', file);
      fileIndex.set(term, (at = batch.files.push(term) - 1));
    }
    last = { file, fileKey, index: at };
    return at;
  };

  for (let i = 0; i < size; i++) {
    const r = records[i] as CallRecord;
    if (!isObject(r)) reject(i, '', 'must be an object');
    const called = typeof r.called === 'string' ? e164Digits(r.called) : -1;
    if (called < 0) reject(i, 'called', notE164(r.called));
    if (!isTime(r.at)) reject(i, 'at', `${TIME_REASON} (got ${JSON.stringify(r.at)})`);
    if (r.atAlt !== undefined && !isTime(r.atAlt)) reject(i, 'atAlt', `${TIME_REASON} (got ${JSON.stringify(r.atAlt)})`);
    if (typeof r.calling !== 'string' || r.calling.length > 64) {
      reject(i, 'calling', `must be a string of at most 64 characters (got ${JSON.stringify(r.calling)})`);
    }
    if (r.callId !== undefined && typeof r.callId !== 'string') reject(i, 'callId', 'must be a string');
    if (typeof r.source !== 'string') reject(i, 'source', 'must be a string');
    if (!isObject(r.ingress)) reject(i, 'ingress', 'must be an object');
    if (r.identity !== undefined && !isObject(r.identity)) reject(i, 'identity', 'must be an object');

    let flags = (r.anonymous === true ? Flag.anonymous : 0) | (r.clockUntrusted === true ? Flag.clockUntrusted : 0);
    let calling = r.calling === '' ? 0 : e164Digits(r.calling);
    if (calling < 0) {
      flags |= Flag.callingRaw;
      // Distinct raw callers must stay distinct entries (lookups dedupe on entry fields).
      calling = fnv1a(r.calling);
    }
    batch.calledE164[i] = r.called;
    batch.called[i] = called;
    batch.calling[i] = calling;
    batch.at[i] = r.at;
    batch.flags[i] = flags;
    if (r.atAlt !== undefined) batch.atAlt.set(i, r.atAlt);
    const raw = (flags & Flag.callingRaw) !== 0;
    if (r.atAlt !== undefined || raw) {
      batch.extras.set(i, { ...(raw && { calling: r.calling }), ...(r.callId !== undefined && { callId: r.callId }) });
    }
    useTerm(i, 'ingress', ingressTerm(r.ingress), r.ingress);
    useTerm(i, 'source', r.source, r.source);
    if (r.identity !== undefined) useTerm(i, 'identity', identityTerm(r.identity), r.identity);
    if (r.evidence !== undefined) {
      if (!isObject(r.evidence)) reject(i, 'evidence', 'must be an object');
      const { file, offset } = r.evidence;
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset > MAX_LINE_OFFSET) {
        reject(i, 'evidence.offset', `must be a byte offset, an integer from 0 to ${MAX_LINE_OFFSET} (got ${JSON.stringify(offset)})`);
      }
      batch.fileOf[i] = useFile(i, file, r.evidence.fileKey);
      batch.lineOffset[i] = offset;
    }
  }
  return batch;
}

function checkTerm(index: number, kind: TermKind, value: unknown): void {
  const result = TERM_SCHEMAS[kind].safeParse(value);
  if (result.success) return;
  const issue = result.error.issues[0];
  const field = kind === 'file' ? 'evidence.file' : kind;
  reject(index, issue && issue.path.length > 0 ? `${field}.${formatPath(issue.path)}` : field, issue?.message ?? 'invalid');
}

/** The distinct pending terms of each kind: what the dictionary must learn before the batch is written. */
export function pendingTerms(batch: PreparedBatch): Record<InternedKind, string[]> {
  const terms = Object.fromEntries(INTERNED_KINDS.map((kind) => [kind, new Set<string>()])) as Record<InternedKind, Set<string>>;
  for (const { kind, term } of batch.pending) terms[kind].add(term);
  return { ingress: [...terms.ingress], source: [...terms.source], identity: [...terms.identity] };
}

/** Fills in the ids of pending terms, once learned. */
export function resolvePending(batch: PreparedBatch, id: (kind: InternedKind, term: string) => number): void {
  for (const { index, kind, term } of batch.pending) batch.ids[kind][index] = id(kind, term);
}

/**
 * How long each of the batch's files must stay in the dictionary: until the last of its calls' buckets expires.
 * 0 for a file whose calls are all past retention already (they are not written).
 */
export function fileLeases(batch: PreparedBatch, expiresAt: (atMs: number) => number): number[] {
  const until = new Array<number>(batch.files.length).fill(0);
  for (let i = 0; i < batch.size; i++) {
    const f = batch.fileOf[i] as number;
    if (f < 0) continue;
    const at = Math.max(batch.at[i] as number, batch.atAlt.get(i) ?? 0);
    until[f] = Math.max(until[f] as number, expiresAt(at));
  }
  return until;
}

/** Fills in each record's file id from the ids of the batch's files. */
export function resolveFiles(batch: PreparedBatch, ids: readonly number[]): void {
  for (let i = 0; i < batch.size; i++) {
    const f = batch.fileOf[i] as number;
    if (f >= 0) batch.ids.file[i] = ids[f] as number;
  }
}

/**
 * The raw CDR behind an indexed call (cdr-formats.md §3: "keep file, byte offset and the raw line with each
 * record: it is the evidence in a hop answer"). The index keeps only the file and the offset; the line is read
 * back when an answer is made, parsed again with the source's settings, and called `verified` only when it
 * still yields the same call (same called number and time): a file replaced since would not. The index keeps
 * the file's identity (dev:ino) too: a file rotated away is found under its new name in its directory, and a
 * new file at the old name is never taken for it.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { EvidenceDisclosure } from '../answer.js';
import type { CallRecord } from '../calls/record.js';
import { fileChunks, gunzipChunks, skipBytes } from './chunks.js';
import { CdrLineError, type CdrContext, type CdrFormat } from './format.js';
import { cdrFormat } from './formats.js';
import { isGzip } from './glob.js';
import { fileKey } from './identity.js';
import { rotatedCandidates } from './rotated.js';
import { sourceRules } from './rules.js';
import { unitEnd, xmlDecoding } from './segment.js';
import type { CdrSourceSettings } from './tailer.js';

/**
 * The evidence of each record that has some, read in parallel; none at all when `disclose` is `none`. The .gz
 * content inflated for all of them together is at most `maxInflatedBytes` (tests lower it).
 */
export async function cdrEvidence(
  records: readonly CallRecord[],
  sources: readonly CdrSourceSettings[],
  disclose: EvidenceDisclosure | undefined,
  maxInflatedBytes = MAX_INFLATED_BYTES,
): Promise<Map<CallRecord, CdrEvidence>> {
  const found = new Map<CallRecord, CdrEvidence>();
  if (disclose === 'none') return found;
  const budget = inflateBudget(maxInflatedBytes);
  await Promise.all(
    records.map(async (r) => {
      const e = await readEvidence(r, sources, budget);
      if (e !== undefined) found.set(r, e);
    }),
  );
  return found;
}

/** A record's unit is read up to this size: a longer one is not a CDR line (the tailer skips those too). */
const MAX_UNIT_BYTES = 256 * 1024;

export type CdrEvidence =
  | {
      /** Where the line is now. */
      file: string;
      offset: number;
      /** sha256 (hex) of the raw bytes of the line or element, without its end of line. */
      sha256: string;
      /** The raw line (latin1, as the tailer read it; XML as UTF-8, or as ISO-8859-1 when it is not UTF-8). */
      text: string;
      /** Parsing it again gives the indexed call. */
      verified: boolean;
      /** Where the tailer read it, when the file was renamed (rotated) since. */
      indexedAs?: string;
    }
  | { file: string; offset: number; missing: string };

/** Files other than the very one read (a copy, a .gz) whose unit at the offset is parsed, per record. */
const MAX_COPIES_READ = 8;

/**
 * .gz content inflated per answer, over all its records: a unit in a .gz is reached by inflating everything
 * before its offset, for up to MAX_COPIES_READ files per record and every record at once. 256 MiB covers a busy
 * day's CDR file; a record whose unit lies beyond what is left is reported missing rather than read.
 */
const MAX_INFLATED_BYTES = 256 * 2 ** 20;

/** What an answer may still inflate, shared by the reads of its records. */
export interface InflateBudget {
  readonly limit: number;
  left: number;
}

export function inflateBudget(limit: number): InflateBudget {
  return { limit, left: limit };
}

/**
 * The evidence of `record`, or undefined when it has none (a SIP source). Never rejects.
 * The file is looked for where it was read, then, when that name is gone, holds another file (a different
 * identity) or no longer holds the call, under the names rotation gives it (rotated.ts). A file elsewhere counts
 * only when its unit at the offset parses to the call: a recycled inode or an unrelated file never does.
 */
export async function readEvidence(
  record: CallRecord,
  sources: readonly CdrSourceSettings[],
  budget: InflateBudget = inflateBudget(MAX_INFLATED_BYTES),
): Promise<CdrEvidence | undefined> {
  const at = record.evidence;
  if (at === undefined) return undefined;
  const { file, offset, fileKey: key } = at;
  const source = sources.find((s) => `cdr:${s.format}` === record.source && resolve(s.dir) === dirname(file));
  const format = source && cdrFormat(source.format);
  if (source === undefined || format === undefined) return { file, offset, missing: 'no configured CDR source reads this file' };
  const ctx: CdrContext = { file, zone: source.zone, options: source.options, rules: sourceRules(source) };
  const check = (path: string, raw: Buffer) => {
    const text = raw.toString(format.framing === 'line' ? 'latin1' : xmlDecoding(raw));
    return { file: path, offset, sha256: createHash('sha256').update(raw).digest('hex'), text, verified: raw.length > 0 && sameCall(format, text, { ...ctx, file: path }, record) };
  };

  const spent = { file, offset, missing: `finding it would inflate more than the ${formatBytes(budget.limit)} of .gz content an answer may inflate` };
  const here = await readAt(format, file, offset, key, budget);
  const there = 'raw' in here ? check(file, here.raw) : undefined;
  if (there?.verified) return there;
  if ('error' in here) return { file, offset, missing: `cannot read the file: ${here.error}` };
  if (here.kind === 'spent') return spent;

  let copies = 0;
  for (const c of await rotatedCandidates(dirname(file), basename(file), key, record.at)) {
    if (!c.sameFile && copies++ >= MAX_COPIES_READ) break;
    const moved = await readAt(format, c.path, offset, undefined, budget);
    if (moved.kind === 'spent') return spent;
    const found = 'raw' in moved ? check(c.path, moved.raw) : undefined;
    if (found?.verified) return { ...found, indexedAs: file };
  }
  // The very file (or one of unknown identity) is at its name, and its unit at the offset is not the call:
  // rewritten in place, or parsed with other settings now.
  if (there !== undefined && there.text.length > 0) return there;
  return { file, offset, missing: MISSING[here.kind ?? 'truncated'] };
}

const MISSING = {
  gone: 'the file is gone (rotated away or deleted), and no rotated name in its directory holds the call',
  replaced: 'another file has its name now (rotated or replaced), and no rotated name in its directory holds the call',
  truncated: 'the file is shorter than the offset: it was truncated or replaced',
} as const;

function formatBytes(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : `${bytes} bytes`;
}

type Read =
  | { raw: Buffer; kind?: undefined }
  | { kind: 'gone' | 'replaced' | 'truncated' | 'spent' }
  | { error: string; kind?: undefined };

/** The budget ran out while a .gz was inflated. */
class InflateBudgetSpent extends Error {}

/** The unit at `offset` of `file`, if it is the file `key` names (any file when undefined). */
async function readAt(format: CdrFormat, file: string, offset: number, key: string | undefined, budget: InflateBudget): Promise<Read> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'gone' } : { error: (err as Error).message };
  }
  try {
    if (key !== undefined && fileKey(await handle.stat({ bigint: true })) !== key) return { kind: 'replaced' };
    if (!isGzip(file)) return { raw: await readUnit(format, fileChunks(handle, offset, offset + MAX_UNIT_BYTES, 64 * 1024)) };
    if (await endsBefore(handle, offset)) return { kind: 'truncated' };
    if (offset >= budget.left) return { kind: 'spent' };
    return { raw: await readUnit(format, skipBytes(inflated(handle, file, budget), offset)) };
  } catch (err) {
    return err instanceof InflateBudgetSpent ? { kind: 'spent' } : { error: (err as Error).message };
  } finally {
    await handle.close();
  }
}

/**
 * Whether a .gz's content surely ends at or before `offset`, from its trailer's ISIZE (the last 4 bytes: the
 * size mod 2^32 of the last member's content), without inflating it. ISIZE is the whole content's size only
 * for one member whose content is under 4 GiB: trusted when the compressed size is under 4 GiB and no larger
 * than deflate can make ISIZE bytes (its worst case adds under 1/2048; the header a name, comment, extra field),
 * which a file of several members, or one whose size wrapped, mostly is not. Either may still pass when its
 * last member, or the wrapped rest, is the larger part: such a file is then skipped, its unit reported missing.
 */
async function endsBefore(handle: FileHandle, offset: number): Promise<boolean> {
  const { size: compressed } = await handle.stat();
  if (compressed < GZIP_MIN_BYTES || compressed >= 2 ** 32) return false;
  const trailer = Buffer.alloc(4);
  await handle.read(trailer, 0, 4, compressed - 4);
  const isize = trailer.readUInt32LE(0);
  return compressed <= isize + isize / 2048 + GZIP_MAX_HEADER_BYTES && isize <= offset;
}

/** A gzip member's fixed header and trailer. */
const GZIP_MIN_BYTES = 18;
/** Header, trailer and the optional name, comment (a path's length each) and extra field (≤ 64 KiB). */
const GZIP_MAX_HEADER_BYTES = 80 * 1024;

/** A .gz's content, each chunk charged to the budget before it is used. */
async function* inflated(handle: FileHandle, file: string, budget: InflateBudget): AsyncGenerator<Buffer> {
  for await (const chunk of gunzipChunks(handle, file, 64 * 1024)) {
    if (chunk.length > budget.left) throw new InflateBudgetSpent();
    budget.left -= chunk.length;
    yield chunk;
  }
}

/** The bytes of the unit (line, or record element) at the start of `chunks`, without its end of line. */
async function readUnit(format: CdrFormat, chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(Buffer.from(chunk));
    length += chunk.length;
    const joined = Buffer.concat(parts, length);
    const end = format.framing === 'xml-document' ? 0 : unitEnd(format, joined, 'first');
    if (end > 0) return trimEol(joined.subarray(0, end));
    if (length >= MAX_UNIT_BYTES) break;
  }
  return trimEol(Buffer.concat(parts, length).subarray(0, MAX_UNIT_BYTES));
}

function trimEol(bytes: Buffer): Buffer {
  let end = bytes.length;
  if (bytes[end - 1] === 10) end--;
  if (bytes[end - 1] === 13) end--;
  return bytes.subarray(0, end);
}

function sameCall(format: CdrFormat, text: string, ctx: CdrContext, record: CallRecord): boolean {
  const records = format.framing === 'line' ? format.parseLine?.(text, 1, ctx) : format.parseDocument?.(text, ctx).records;
  if (records === undefined || records instanceof CdrLineError) return false;
  return records.some((r) => r.called === record.called && (r.at === record.at || r.atAlt === record.at || r.at === record.atAlt));
}

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
import type { CallRecord } from '../calls/record.js';
import { fileChunks, gunzipChunks, skipBytes } from './chunks.js';
import { CdrLineError, type CdrContext, type CdrFormat } from './format.js';
import { cdrFormat } from './formats.js';
import { isGzip } from './glob.js';
import { fileKey } from './identity.js';
import { rotatedCandidates } from './rotated.js';
import { sourceRules } from './rules.js';
import { unitEnd } from './segment.js';
import type { CdrSourceSettings } from './tailer.js';

/** The evidence of each record that has some, read in parallel; none at all when `disclose` is `none`. */
export async function cdrEvidence(
  records: readonly CallRecord[],
  sources: readonly CdrSourceSettings[],
  disclose: 'none' | 'hash' | 'line' | undefined,
): Promise<Map<CallRecord, CdrEvidence>> {
  const found = new Map<CallRecord, CdrEvidence>();
  if (disclose === 'none') return found;
  await Promise.all(
    records.map(async (r) => {
      const e = await readEvidence(r, sources);
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
      /** The raw line (latin1, as the tailer read it; XML as UTF-8). */
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
 * The evidence of `record`, or undefined when it has none (a SIP source). Never rejects.
 * The file is looked for where it was read, then, when that name is gone, holds another file (a different
 * identity) or no longer holds the call, under the names rotation gives it (rotated.ts). A file elsewhere counts
 * only when its unit at the offset parses to the call: a recycled inode or an unrelated file never does.
 */
export async function readEvidence(record: CallRecord, sources: readonly CdrSourceSettings[]): Promise<CdrEvidence | undefined> {
  const at = record.evidence;
  if (at === undefined) return undefined;
  const { file, offset, fileKey: key } = at;
  const source = sources.find((s) => `cdr:${s.format}` === record.source && resolve(s.dir) === dirname(file));
  const format = source && cdrFormat(source.format);
  if (source === undefined || format === undefined) return { file, offset, missing: 'no configured CDR source reads this file' };
  const check = (path: string, raw: Buffer) => {
    const ctx: CdrContext = { file: path, zone: source.zone, options: source.options, rules: sourceRules(source) };
    const text = format.framing === 'line' ? raw.toString('latin1') : raw.toString('utf8');
    return { file: path, offset, sha256: createHash('sha256').update(raw).digest('hex'), text, verified: raw.length > 0 && sameCall(format, text, ctx, record) };
  };

  const here = await readAt(format, file, offset, key);
  const there = 'raw' in here ? check(file, here.raw) : undefined;
  if (there?.verified) return there;
  if ('error' in here) return { file, offset, missing: `cannot read the file: ${here.error}` };

  let copies = 0;
  for (const c of await rotatedCandidates(dirname(file), basename(file), key, record.at)) {
    if (!c.sameFile && copies++ >= MAX_COPIES_READ) break;
    const moved = await readAt(format, c.path, offset, undefined);
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

type Read = { raw: Buffer; kind?: undefined } | { kind: 'gone' | 'replaced' } | { error: string; kind?: undefined };

/** The unit at `offset` of `file`, if it is the file `key` names (any file when undefined). */
async function readAt(format: CdrFormat, file: string, offset: number, key: string | undefined): Promise<Read> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'gone' } : { error: (err as Error).message };
  }
  try {
    if (key !== undefined && fileKey(await handle.stat({ bigint: true })) !== key) return { kind: 'replaced' };
    return { raw: await readUnit(format, handle, file, offset) };
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    await handle.close();
  }
}

/** The bytes of the unit (line, or record element) that starts at `offset`, without its end of line. */
async function readUnit(format: CdrFormat, handle: FileHandle, file: string, offset: number): Promise<Buffer> {
  const chunks = isGzip(file) ? skipBytes(gunzipChunks(handle, file, 64 * 1024), offset) : fileChunks(handle, offset, offset + MAX_UNIT_BYTES, 64 * 1024);
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

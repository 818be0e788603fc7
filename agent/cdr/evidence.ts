/**
 * The raw CDR behind an indexed call (cdr-formats.md §3: "keep file, byte offset and the raw line with each
 * record: it is the evidence in a hop answer"). The index keeps only the file and the offset; the line is read
 * back when an answer is made, parsed again with the source's settings, and called `verified` only when it
 * still yields the same call (same called number and time): a file replaced since would not.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CallRecord } from '../calls/record.js';
import { fileChunks, gunzipChunks, skipBytes } from './chunks.js';
import { CdrLineError, type CdrContext, type CdrFormat } from './format.js';
import { cdrFormat } from './formats.js';
import { isGzip } from './glob.js';
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
      file: string;
      offset: number;
      /** sha256 (hex) of the raw bytes of the line or element, without its end of line. */
      sha256: string;
      /** The raw line (latin1, as the tailer read it; XML as UTF-8). */
      text: string;
      /** Parsing it again gives the indexed call. */
      verified: boolean;
    }
  | { file: string; offset: number; missing: string };

/** The evidence of `record`, or undefined when it has none (a SIP source). Never rejects. */
export async function readEvidence(record: CallRecord, sources: readonly CdrSourceSettings[]): Promise<CdrEvidence | undefined> {
  const at = record.evidence;
  if (at === undefined) return undefined;
  const { file, offset } = at;
  const source = sources.find((s) => `cdr:${s.format}` === record.source && resolve(s.dir) === dirname(file));
  const format = source && cdrFormat(source.format);
  if (source === undefined || format === undefined) return { file, offset, missing: 'no configured CDR source reads this file' };
  let raw: Buffer;
  try {
    raw = await readUnit(format, file, offset);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { file, offset, missing: code === 'ENOENT' ? 'the file is gone (rotated away or deleted)' : `cannot read the file: ${(err as Error).message}` };
  }
  if (raw.length === 0) return { file, offset, missing: 'the file is shorter than the offset: it was truncated or replaced' };
  const ctx: CdrContext = { file, zone: source.zone, options: source.options, rules: sourceRules(source) };
  const text = format.framing === 'line' ? raw.toString('latin1') : raw.toString('utf8');
  return { file, offset, sha256: createHash('sha256').update(raw).digest('hex'), text, verified: sameCall(format, text, ctx, record) };
}

/** The bytes of the unit (line, or record element) that starts at `offset`, without its end of line. */
async function readUnit(format: CdrFormat, file: string, offset: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
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
  } finally {
    await handle.close();
  }
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

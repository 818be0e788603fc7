/** Reads a CDR fixture the way the tailer will: bytes split on LF, each line handed over as a Buffer. */
import { readFileSync } from 'node:fs';
import type { CallRecord } from '../../../agent/calls/record.js';
import { CdrLineError, type CdrContext, type CdrFormat } from '../../../agent/cdr/format.js';

const FIXTURES = new URL('../../fixtures/cdr/', import.meta.url);

export type Setting = Omit<CdrContext, 'file'>;

export interface Read {
  records: CallRecord[];
  /** `line: reason`, the way an operator reads them in the log. */
  errors: string[];
}

export function readLines(format: CdrFormat, file: string, setting: Setting): Read {
  const parseLine = format.parseLine;
  if (parseLine === undefined) throw new Error(`${format.name} is not a line format`);
  const bytes = readFileSync(new URL(file, FIXTURES));
  const ctx: CdrContext = { ...setting, file };
  const out: Read = { records: [], errors: [] };
  let start = 0;
  for (let lineNo = 1; start < bytes.length; lineNo++) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl;
    collect(out, parseLine(bytes.subarray(start, end), lineNo, ctx));
    start = end + 1;
  }
  return out;
}

export function readDocument(format: CdrFormat, file: string, setting: Setting): Read {
  const parseDocument = format.parseDocument;
  if (parseDocument === undefined) throw new Error(`${format.name} is not a document format`);
  const text = readFileSync(new URL(file, FIXTURES), 'utf8');
  const { records, errors } = parseDocument(text, { ...setting, file });
  for (const e of errors) expectFile(e, file);
  return { records, errors: errors.map((e) => `${e.line}: ${e.reason}`) };
}

/** One line through a format, for option variants that need no fixture file. */
export function parseOne(format: CdrFormat, line: string, setting: Setting): CallRecord[] | string {
  const r = format.parseLine?.(line, 1, { ...setting, file: 'inline' });
  if (r === undefined) throw new Error(`${format.name} is not a line format`);
  return r instanceof CdrLineError ? r.reason : r;
}

function collect(out: Read, r: CallRecord[] | CdrLineError): void {
  if (r instanceof CdrLineError) out.errors.push(`${r.line}: ${r.reason}`);
  else out.records.push(...r);
}

function expectFile(e: CdrLineError, file: string): void {
  if (e.file !== file) throw new Error(`error names ${e.file}, not ${file}`);
}

/** UTC ms of an ISO 8601 time with an explicit offset, computed independently of the parsers. */
export function utc(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad ISO time in test: ${iso}`);
  return ms;
}

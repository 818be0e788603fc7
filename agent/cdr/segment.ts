/**
 * A file's bytes → the records of its complete units (pure). A unit is a line for line formats and a record
 * element for XML formats that write many records to a file; the tailer reads only up to the end of the last
 * complete unit, so a half-written line or element waits for its end (cdr-formats.md §3). An XML document
 * format (one call per file) has no unit boundary: the tailer hands it over whole once the file is finished.
 * Lines are read as latin1: any byte sequence is a line, nothing throws on mojibake.
 */
import type { CallRecord } from '../calls/record.js';
import { isUtf8 } from 'node:buffer';
import { CdrLineError, type CdrContext, type CdrFormat, type XmlDecoding } from './format.js';

const LF = 10;

export interface Segment {
  records: CallRecord[];
  /** The line of each record (XML: of the first line of its segment). */
  lines: number[];
  /** The byte offset of each record's line (XML: of its element) from the segment's start. */
  offsets: number[];
  errors: CdrLineError[];
  /** The line after the segment. */
  nextLine: number;
}

/** The end of the unit that ends last (or, with `first`, first) in `bytes`; 0 when no unit ends in it. */
export function unitEnd(format: CdrFormat, bytes: Buffer, which: 'first' | 'last' = 'last'): number {
  if (format.framing === 'xml-document') return 0;
  const close = format.framing === 'line' ? LF : `</${format.recordElement}>`;
  const width = typeof close === 'number' ? 1 : close.length;
  const at = which === 'last' ? bytes.lastIndexOf(close) : bytes.indexOf(close);
  return at < 0 ? 0 : at + width;
}

/** Records and line errors of whole units; the last unit of a finished file may lack its end. */
export function parseSegment(format: CdrFormat, ctx: CdrContext, bytes: Buffer, firstLine: number): Segment {
  return format.framing === 'line' ? parseLines(format, ctx, bytes, firstLine) : parseXml(format, ctx, bytes, firstLine);
}

function parseLines(format: CdrFormat, ctx: CdrContext, bytes: Buffer, firstLine: number): Segment {
  const parseLine = format.parseLine as NonNullable<CdrFormat['parseLine']>;
  const records: CallRecord[] = [];
  const lines: number[] = [];
  const offsets: number[] = [];
  const errors: CdrLineError[] = [];
  let line = firstLine;
  for (let from = 0; from < bytes.length; ) {
    const to = windowEnd(bytes, from);
    // One latin1 string per window of whole lines: its slices are the lines, with no per-line decoding.
    const text = bytes.toString('latin1', from, to);
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      const result = parseLine(text.slice(start, end), line, ctx);
      if (result instanceof CdrLineError) errors.push(result);
      else {
        for (const record of result) {
          records.push(record);
          lines.push(line);
          // latin1: one char per byte, so a char index is a byte offset.
          offsets.push(from + start);
        }
      }
      line++;
      start = end + 1;
    }
    from = to;
  }
  return { records, lines, offsets, errors, nextLine: line };
}

/**
 * V8 keeps strings over ~128 kB in its large-object space, where making one costs 10–100 times more per byte
 * (measured: 64 MB as 256 kB strings 2.3 s, as 64 kB strings 0.02 s): decode at most WINDOW bytes at a time.
 */
const WINDOW = 64 * 1024;

/** The end of the last whole line within WINDOW bytes from `from` (or of the one long line there). */
function windowEnd(bytes: Buffer, from: number): number {
  if (bytes.length - from <= WINDOW) return bytes.length;
  const nl = bytes.lastIndexOf(LF, from + WINDOW - 1);
  if (nl >= from) return nl + 1;
  const next = bytes.indexOf(LF, from + WINDOW);
  return next < 0 ? bytes.length : next + 1;
}

function parseXml(format: CdrFormat, ctx: CdrContext, bytes: Buffer, firstLine: number): Segment {
  const parseDocument = format.parseDocument as NonNullable<CdrFormat['parseDocument']>;
  const records: CallRecord[] = [];
  const lines: number[] = [];
  const offsets: number[] = [];
  const errors: CdrLineError[] = [];
  let line = firstLine;
  // A window of whole record elements at a time, as for lines (WINDOW); a document format is one window.
  const close = format.framing === 'xml-record' ? Buffer.from(`</${format.recordElement}>`) : undefined;
  for (let from = 0; from < bytes.length; ) {
    const to = close === undefined ? bytes.length : xmlWindowEnd(bytes, from, close);
    const windowBytes = bytes.subarray(from, to);
    const decoding = xmlDecoding(windowBytes);
    const window = parseDocument(bytes.toString(decoding, from, to), ctx, decoding, windowBytes);
    for (let i = 0; i < window.records.length; i++) {
      records.push(window.records[i] as CallRecord);
      lines.push(line);
      offsets.push(from + (window.offsets[i] as number));
    }
    // The format counts lines from the window's start; the file's lines go on from `line`.
    const shift = line - 1;
    for (const e of window.errors) errors.push(shift === 0 ? e : new CdrLineError(e.file, e.line + shift, e.reason, e.text));
    line += countLf(bytes, from, to);
    from = to;
  }
  return { records, lines, offsets, errors, nextLine: line };
}

/** The end of the last record element that ends within WINDOW bytes from `from` (or of the one long one there). */
function xmlWindowEnd(bytes: Buffer, from: number, close: Buffer): number {
  if (bytes.length - from <= WINDOW) return bytes.length;
  const last = bytes.lastIndexOf(close, from + WINDOW - close.length);
  if (last >= from) return last + close.length;
  const next = bytes.indexOf(close, from + WINDOW);
  return next < 0 ? bytes.length : next + close.length;
}

/**
 * How XML CDR bytes are read: as UTF-8 when they are valid UTF-8, else as ISO-8859-1 (BroadWorks declares it): a
 * byte that is not UTF-8 must not become U+FFFD, three bytes long, and shift the offset of every record after it.
 */
export function xmlDecoding(bytes: Uint8Array): XmlDecoding {
  return isUtf8(bytes) ? 'utf8' : 'latin1';
}

export function countLf(bytes: Buffer, from = 0, to = bytes.length): number {
  let n = 0;
  for (let i = bytes.indexOf(LF, from); i >= 0 && i < to; i = bytes.indexOf(LF, i + 1)) n++;
  return n;
}

/**
 * A CSV tokenizer for CDR lines (cdr-formats.md §3). Works on latin1 strings, so any byte sequence is a valid
 * input and non-UTF-8 bytes survive untouched; never throws. Quoted fields may hold separators and `""`
 * escapes (Ribbon sub-field lists, Asterisk clid); empty unquoted fields are ''; a leading BOM and a trailing
 * CR are dropped. Scans the line's code units one by one for separators and quotes (CDR fields are short: a
 * builtin indexOf call per field cost more than the bytes it skipped; see `charCodes` for why not charCodeAt), with
 * no regular expressions, and cuts no string until a format asks for that field.
 */

import { endianness } from 'node:os';

export interface CsvDialect {
  /** One character: ',' (most), ';' (Sansay), '|' (Kamailio db_flatstore). */
  separator: string;
  /**
   * Acme Packet writes unescaped quotes inside quoted fields: a quote that is not followed by the separator
   * or the end of the line is then kept as text, and an unterminated quoted field runs to the end of the line.
   */
  lenient?: boolean;
  /** Stop after this many fields (the rest of a 290-field Ribbon record is not needed). */
  maxFields?: number;
}

/** The line is not CSV in this dialect; `field` is 1-based. */
export class CsvSyntaxError {
  constructor(
    readonly field: number,
    readonly reason: string,
  ) {}

  /** The reason as a line error gives it. */
  get message(): string {
    return `field ${this.field}: ${this.reason}`;
  }
}

/**
 * A tokenized line. Only field boundaries are kept; a field's text is cut from the line when asked for, so a
 * format that reads 12 of a record's 126 fields pays for 12 strings, not 126.
 */
export class CsvRow {
  constructor(
    private readonly line: string,
    /** start, end (exclusive) per field; start is stored as ~start when a quoted field holds `""` escapes. */
    private readonly bounds: Int32Array,
  ) {}

  get length(): number {
    return this.bounds.length >> 1;
  }

  /** Field `i` (0-based); '' past the end of the row. */
  field(i: number): string {
    const k = i << 1;
    if (k >= this.bounds.length) return '';
    const start = this.bounds[k] as number;
    const end = this.bounds[k + 1] as number;
    return start >= 0 ? this.line.slice(start, end) : this.line.slice(~start, end).replaceAll('""', '"');
  }

  toArray(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.field(i));
    return out;
  }
}

const QUOTE = 34;
const CR = 13;
const BOM = 0xfeff;
/** A UTF-8 BOM read as latin1. */
const BOM_LATIN1 = '\u00ef\u00bb\u00bf';

/**
 * Field bounds are collected here and copied out at their exact size: an array grown per line reallocates several
 * times for a 126-field Ribbon record, and its garbage is most of what tokenizing leaves behind.
 */
let scratch = new Int32Array(512);

export function splitCsv(line: string, dialect: CsvDialect): CsvRow | CsvSyntaxError {
  const sepCode = dialect.separator.charCodeAt(0);
  const lenient = dialect.lenient === true;
  const maxBounds = (dialect.maxFields ?? 0x3fffffff) * 2;
  const c = charCodes(line);
  let pos = 0;
  let end = line.length;
  if (c[0] === BOM) pos = 1;
  else if (line.startsWith(BOM_LATIN1)) pos = 3;
  if (c[end - 1] === CR) end--;

  let n = 0;
  while (n < maxBounds) {
    if (pos < end && c[pos] === QUOTE) {
      const open = pos;
      let escaped = false;
      let search = open + 1;
      for (;;) {
        let q = search;
        while (q < end && c[q] !== QUOTE) q++;
        if (q >= end) {
          if (!lenient) return new CsvSyntaxError(n / 2 + 1, `unterminated quoted field starting at column ${open + 1}`);
          n = bound(n, escaped ? ~(open + 1) : open + 1, end);
          pos = end;
          break;
        }
        const after = q + 1 < end ? (c[q + 1] as number) : -1;
        if (after === QUOTE) {
          escaped = true;
          search = q + 2;
        } else if (after === -1 || after === sepCode) {
          n = bound(n, escaped ? ~(open + 1) : open + 1, q);
          pos = q + 1;
          break;
        } else if (lenient) {
          search = q + 1;
        } else {
          return new CsvSyntaxError(n / 2 + 1, `unescaped quote inside a quoted field at column ${q + 1}`);
        }
      }
      if (pos >= end) break;
      pos++; // the separator after the closing quote
    } else {
      let next = pos;
      while (next < end && c[next] !== sepCode) next++;
      if (next >= end) {
        n = bound(n, pos, end);
        break;
      }
      n = bound(n, pos, next);
      pos = next + 1;
    }
  }
  return new CsvRow(line, scratch.slice(0, n));
}

/**
 * The line's UTF-16 code units in a reused array. Scanning them there, not with `charCodeAt`, is why: once any
 * loaded module declares `class … extends String` (ioredis does: VerbatimString), V8 (Node 20) runs string
 * builtins slower — measured 5.6× for a charCodeAt loop, 2.3× for indexOf and slice — and an agent always
 * loads ioredis. One native copy of the line costs a fraction of that.
 */
function charCodes(line: string): Uint16Array {
  if (line.length > units.length) {
    unitBytes = Buffer.allocUnsafeSlow(line.length * 4);
    units = new Uint16Array(unitBytes.buffer, unitBytes.byteOffset, line.length * 2);
  }
  if (LITTLE_ENDIAN) unitBytes.write(line, 0, 'utf16le');
  else for (let i = 0; i < line.length; i++) units[i] = line.charCodeAt(i);
  return units;
}

const LITTLE_ENDIAN = endianness() === 'LE';
let unitBytes = Buffer.allocUnsafeSlow(8192);
let units = new Uint16Array(unitBytes.buffer, unitBytes.byteOffset, 4096);

/** Records one field's bounds at `n` in the scratch array; the count after them. */
function bound(n: number, start: number, end: number): number {
  if (n + 2 > scratch.length) {
    const grown = new Int32Array(scratch.length * 2);
    grown.set(scratch);
    scratch = grown;
  }
  scratch[n] = start;
  scratch[n + 1] = end;
  return n + 2;
}

/** The first field, unquoted ones only (record types): cheap enough to skip a record before tokenizing it. */
export function firstField(line: string, separator: string): string {
  const end = line.indexOf(separator);
  let first = end < 0 ? line : line.slice(0, end);
  if (first.charCodeAt(0) === BOM) first = first.slice(1);
  else if (first.startsWith(BOM_LATIN1)) first = first.slice(3);
  return first;
}

/**
 * Fields are latin1 strings; text that leaves the parser (trunk group names, Call-IDs) is re-read as UTF-8
 * when it is valid UTF-8, so 'Zürich' written by a UTF-8 switch is not stored as 'ZÃ¼rich'.
 */
export function utf8Text(latin1: string): string {
  let ascii = true;
  for (let i = 0; i < latin1.length; i++) {
    if (latin1.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  const text = bytes.toString('utf8');
  return text.includes('\ufffd') ? latin1 : text;
}

/** A line as the tailer hands it over: bytes are read as latin1 (every byte maps to one char, never fails). */
export function lineText(line: Buffer | string): string {
  return typeof line === 'string' ? line : line.toString('latin1');
}

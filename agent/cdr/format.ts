/**
 * The one idea behind every CDR reader (STYLE.md): a *format* turns a line, or an XML document, into call
 * records or line errors. Formats are pure: no I/O, no clock, no host time zone; the tailer owns files.
 * Adding a format is adding a file that exports a `CdrFormat` and one line in formats.ts.
 */
import type { z } from 'zod';
import type { CallRecord } from '../calls/record.js';
import type { SourceRules } from './rules.js';

export interface CdrContext {
  /** The file being read, for error messages and evidence. */
  file: string;
  /** IANA zone of the writer's clock (`America/Chicago`), used where a record has local wall times. */
  zone: string;
  /** Format options as configured; checked against `CdrFormat.options`. */
  options: Record<string, unknown>;
  /** What the carrier configured about this source: number rules per trunk, realm, trunk group prefix. */
  rules?: SourceRules | undefined;
}

export interface CdrFormat {
  /** Used as the record source `cdr:<name>`: lower-case letters, digits, '-'. */
  readonly name: string;
  /**
   * 'line': one record per line (`parseLine`). 'xml-document': a whole file at once (`parseDocument`).
   * 'xml-record': a file of repeated `recordElement`s that may be fed one element at a time, or whole.
   */
  readonly framing: 'line' | 'xml-document' | 'xml-record';
  /** For 'xml-record' framing: the element holding one record. */
  readonly recordElement?: string;
  /** The options this format accepts, so configuration can be checked before the first line. */
  readonly options: z.ZodType;
  /** One line (without EOL) → records (possibly none: skipped record types, header rows) or a line error. */
  parseLine?(line: Buffer | string, lineNo: number, ctx: CdrContext): CallRecord[] | CdrLineError;
  /**
   * A whole XML document (one file, or one record element) → records and errors, and the UTF-8 byte offset of
   * each record's element from the start of `text` (its evidence). Error line numbers count from the first line
   * of `text`; a caller feeding single elements adds the element's own line. `decodedAs`: how the bytes became
   * `text`, so that offsets count bytes (default UTF-8); `bytes`: those bytes, when the caller has them (records
   * are read faster in them).
   */
  parseDocument?(
    text: string,
    ctx: CdrContext,
    decodedAs?: XmlDecoding,
    bytes?: Buffer,
  ): { records: CallRecord[]; errors: CdrLineError[]; offsets: number[] };
}

/** How much of a bad line an error keeps: enough to find it in the file, not a whole 2 kB Ribbon record. */
const MAX_TEXT = 200;

/** A malformed line: a value the tailer counts, logs with file and line, and skips (DESIGN §8). Never thrown. */
export class CdrLineError {
  /** The raw line, truncated. */
  readonly text: string;
  constructor(
    readonly file: string,
    readonly line: number,
    /** Names the bad field: `field 6 (start date): "99/99/2025" is not mm/dd/yyyy`. */
    readonly reason: string,
    text: string,
  ) {
    this.text = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) + '…' : text;
  }

  get message(): string {
    return `${this.file}:${this.line}: ${this.reason}`;
  }
}

/**
 * Ingress convention for calls from the carrier's own subscribers (Metaswitch line and business-line parties,
 * BroadWorks originating users): `realm: 'line'`; `ip` = the customer's access device when the record names one;
 * a trunk group only when the customer reaches the switch over its own trunk (BroadWorks Business Trunking), so
 * a mapped customer trunk still wins. Map `realm: line` to a customer in the ingress map: an `originated` hop.
 */
export const LINE_REALM = 'line';

/** How an XML CDR's bytes became text (segment.ts `xmlDecoding`). */
export type XmlDecoding = 'utf8' | 'latin1';

/**
 * The DNO list text format: the carrier's local list (`--dno-file`), and the hub's import and export.
 *
 *   # comment lines and blank lines are ignored
 *   +12025550100                              a number (any form proto/tn.ts normalises: 2025550100, tel:…)
 *   +1900*                                    a prefix: every number starting with +1900
 *   +12025550100-+12025550199                 an inclusive range (E.164, equal length)
 *   number,category,reason                    optional CSV header
 *   +12025550143,unassigned,spare DID pool     CSV: category (default listed) and a reason
 *
 * Every line means what the protocol's `DnoEntry` schema says, so a local entry means the same as one from the
 * hub. One bad line refuses the file with every bad line listed (DnoFileError).
 *
 * A line that is plainly an E.164 number with a known category is taken without the schema and the number
 * normaliser (the hub imports a million lines in well under a second); anything else goes through both.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DnoCategory, DnoEntry, parse, MessageError } from '../../proto/messages.js';
import { isE164, targetText } from '../../proto/dno-target.js';
import { normalise } from '../../proto/tn.js';
import { categoryCode, EntryDecoder, fieldOf } from './entry-codec.js';
import { DnoFileError, type LineProblem } from './file-error.js';
import { type ListPart, SnapshotBuilder } from './snapshot.js';

const DEFAULT_CATEGORY: DnoCategory = 'listed';
const HEADER = /^number\s*,\s*category\s*(,\s*reason\s*)?$/i;
const RANGE = /^(\+[0-9]+)-(\+[0-9]+)$/;
const MAX_REASON = 256;
const CATEGORY_CODES: ReadonlyMap<string, string> = new Map(DnoCategory.options.map((c) => [c, categoryCode(c)]));

const QUOTE = 34;

class LineError extends Error {}

/**
 * One good line: the entry as a cache field (entry-codec.ts: category code + target), its reason, whether the
 * line named a category (a removal without one means every category), and its 1-based line number.
 */
export type ListLineSink = (field: string, reason: string | undefined, categoryGiven: boolean, line: number) => void;

export interface ListScanOptions {
  /** Category of a line that names none (default listed). */
  defaultCategory?: DnoCategory;
  /** A further rule on each good entry: why it is refused, or null (the hub refuses emergency numbers). */
  refuse?: (field: string) => string | null;
}

/** Scan list text, handing each good line to `sink` without building entry objects; returns every bad line. */
export function scanListText(text: string, sink: ListLineSink, opts: ListScanOptions = {}): LineProblem[] {
  return new ListScanner(sink, opts).push(text).end();
}

/**
 * scanListText for text that arrives in pieces (a file read in chunks: a 3-million-line list never exists as
 * one string). A line may span pieces.
 */
export class ListScanner {
  readonly problems: LineProblem[] = [];
  private readonly defaultCode: string;
  private seenContent = false;
  private lineNo = 0;
  private rest = '';

  constructor(
    private readonly sink: ListLineSink,
    private readonly opts: ListScanOptions = {},
  ) {
    this.defaultCode = CATEGORY_CODES.get(opts.defaultCategory ?? DEFAULT_CATEGORY)!;
  }

  push(piece: string): this {
    const text = this.rest + piece;
    let from = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', from)) {
      this.line(text, from, end);
      from = end + 1;
    }
    this.rest = text.slice(from);
    return this;
  }

  /** The last line (without a newline), and every bad line of the text. */
  end(): LineProblem[] {
    this.line(this.rest, 0, this.rest.length);
    this.rest = '';
    return this.problems;
  }

  private line(text: string, from: number, end: number): void {
    const raw = text.charCodeAt(end - 1) === 13 && end > from ? text.slice(from, end - 1) : text.slice(from, end);
    const lineNo = ++this.lineNo;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const first = !this.seenContent;
    this.seenContent = true;
    if (first && HEADER.test(line)) return;
    try {
      const parsed = fastLine(line, this.defaultCode) ?? slowLine(line, this.opts.defaultCategory ?? DEFAULT_CATEGORY);
      const refused = this.opts.refuse?.(parsed.field);
      if (refused) throw new LineError(refused);
      this.sink(parsed.field, parsed.reason, parsed.categoryGiven, lineNo);
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      this.problems.push({ line: lineNo, text: raw, reason: err.message });
    }
  }
}

/** The `source` of every entry of a list file: 'file:' and its name. */
function sourceOfFile(file: string): string {
  return `file:${basename(file)}`.slice(0, 128);
}

/**
 * Read a list file straight into a packed snapshot part (snapshot.ts), a megabyte at a time: no entry object
 * per number and no string of the whole file, so a local list of 3 million numbers costs its 24 MB of packed
 * words. Refused whole (DnoFileError) when a line is bad.
 */
export async function readListPart(path: string): Promise<ListPart> {
  const source = sourceOfFile(path);
  // Sized by the file's line count: the packed array is made once, never grown and copied.
  const builder = new SnapshotBuilder(await countFileLines(path));
  const scanner = new ListScanner((field, reason) => builder.addField(field, reason, source));
  for await (const piece of createReadStream(path, { encoding: 'utf8', highWaterMark: READ_BYTES })) scanner.push(piece as string);
  const errors = scanner.end();
  if (errors.length > 0) throw new DnoFileError(path, errors);
  return builder.partOffThread();
}

const READ_BYTES = 1 << 16;

async function countFileLines(path: string): Promise<number> {
  let lines = 1;
  for await (const chunk of createReadStream(path, { highWaterMark: READ_BYTES })) {
    const bytes = chunk as Buffer;
    for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

/** Parse a list file's text into entries (for showing and editing it); `file` names it in errors and sources. */
export function parseListFile(text: string, file: string): DnoEntry[] {
  const source = sourceOfFile(file);
  const decoder = new EntryDecoder();
  const entries: DnoEntry[] = [];
  const errors = scanListText(text, (field, reason) => {
    const entry = decoder.entryOf(field, '');
    if (reason !== undefined) entry.reason = reason;
    entry.source = source;
    entries.push(entry);
  });
  if (errors.length > 0) throw new DnoFileError(file, errors);
  return entries;
}

export async function readListFile(path: string): Promise<DnoEntry[]> {
  return parseListFile(await readFile(path, 'utf8'), path);
}

/**
 * One entry as a line of list text: with `columns`, CSV `target,category,reason` (quoted when needed; a line
 * break in a reason becomes a space, since a list line is one line); without, the target alone.
 */
export function formatListLine(entry: DnoEntry, columns: boolean): string {
  const target = targetText(entry);
  if (!columns) return target;
  const reason = (entry.reason ?? '').replace(/[\r\n]+/g, ' ');
  const quoted = /[",]|^\s|\s$/.test(reason) ? `"${reason.replaceAll('"', '""')}"` : reason;
  return `${target},${entry.category},${quoted}`;
}

interface ParsedLine {
  field: string;
  reason: string | undefined;
  categoryGiven: boolean;
}

/** A plain E.164 line with a known category and a short unquoted-or-quoted reason; null sends it the slow way. */
function fastLine(line: string, defaultCode: string): ParsedLine | null {
  const c1 = line.indexOf(',');
  const targetEnd = c1 < 0 ? line.length : trimmedEnd(line, c1);
  if (!isE164(line, 0, targetEnd)) return null;
  const digits = line.slice(1, targetEnd);
  if (c1 < 0) return { field: defaultCode + digits, reason: undefined, categoryGiven: false };
  const c2 = line.indexOf(',', c1 + 1);
  const categoryText = (c2 < 0 ? line.slice(c1 + 1) : line.slice(c1 + 1, c2)).trim().toLowerCase();
  const code = categoryText === '' ? defaultCode : CATEGORY_CODES.get(categoryText);
  if (code === undefined) return null;
  const reason = c2 < 0 ? '' : unquote(line.slice(c2 + 1).trim());
  if (reason.length > MAX_REASON) return null;
  return { field: code + digits, reason: reason === '' ? undefined : reason, categoryGiven: categoryText !== '' };
}

function trimmedEnd(s: string, end: number): number {
  while (end > 0 && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return end;
}

/** Any line, through the number normaliser and the protocol schema. */
function slowLine(line: string, defaultCategory: DnoCategory): ParsedLine {
  const [target = '', category = '', ...rest] = line.split(',');
  const reason = unquote(rest.join(',').trim());
  const categoryText = category.trim().toLowerCase();
  const input = {
    ...targetFields(target.trim()),
    category: categoryOf(categoryText, defaultCategory),
    ...(reason === '' ? {} : { reason }),
  };
  try {
    const entry = parse(DnoEntry, input);
    return { field: fieldOf(entry), reason: entry.reason, categoryGiven: categoryText !== '' };
  } catch (err) {
    if (err instanceof MessageError) throw new LineError(`${err.path || 'entry'}: ${err.reason}`);
    throw err;
  }
}

function targetFields(target: string): Pick<DnoEntry, 'number' | 'prefix' | 'range'> {
  if (target.endsWith('*')) return { prefix: target.slice(0, -1) };
  const range = RANGE.exec(target);
  if (range) return { range: { from: range[1]!, to: range[2]! } };
  const tn = normalise(target);
  if (tn.e164 === null) throw new LineError(`not a phone number: ${JSON.stringify(target)}`);
  return { number: tn.e164 };
}

function categoryOf(text: string, defaultCategory: DnoCategory): DnoCategory {
  if (text === '') return defaultCategory;
  const r = DnoCategory.safeParse(text);
  if (r.success) return r.data;
  throw new LineError(`unknown category ${JSON.stringify(text)} (expected ${DnoCategory.options.join(', ')})`);
}

/** A CSV field in double quotes, with "" for a quote inside (RFC 4180). */
function unquote(field: string): string {
  const quoted = field.length >= 2 && field.charCodeAt(0) === QUOTE && field.charCodeAt(field.length - 1) === QUOTE;
  return quoted ? field.slice(1, -1).replaceAll('""', '"') : field;
}

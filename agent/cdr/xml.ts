/**
 * XML CDR documents (BroadWorks, Metaswitch, FreeSWITCH mod_xml_cdr): plain records by xml-tree.ts's strict
 * reader, anything else — and every error's wording — by fast-xml-parser, into the same tree. A file of many
 * records is cut into its record elements first, so each error carries the record's line number and one bad
 * record does not cost the others. Values stay strings: '0763…' must keep its leading zero.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { learnShape } from './xml-shapes.js';
import { readTree, WHOLE, type Wanted } from './xml-tree.js';

/** fast-xml-parser's options: the tree xml-tree.ts reproduces. */
export const xmlParserOptions = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // `xsi:type` → `@_type`: Metaswitch's party type is the only prefixed attribute the formats read.
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
} as const;
const parser = new XMLParser(xmlParserOptions);

export interface XmlSlice {
  readonly text: string;
  /** 1-based line of the element's start tag in the whole text. */
  readonly line: number;
  /** Index of the start tag in the whole text. */
  readonly at: number;
  /** Index just past the element in the whole text. */
  readonly end: number;
}

export class XmlProblem {
  constructor(
    readonly line: number,
    readonly reason: string,
    /** Where it starts, for the error's evidence. */
    readonly text = '',
  ) {}
}

/**
 * Every `<name …>…</name>` element in `text`, in order. A start tag without its end tag (a file cut short while
 * being written) is a problem at the start tag's line.
 */
export function elements(text: string, name: string): { slices: XmlSlice[]; problems: XmlProblem[] } {
  const slices: XmlSlice[] = [];
  const problems: XmlProblem[] = [];
  const lines = new Lines(text);
  const open = '<' + name;
  const close = '</' + name + '>';
  let pos = text.indexOf(open);
  while (pos >= 0) {
    const next = text.charCodeAt(pos + open.length);
    // `<Call` must not match `<CallType`: the name ends at whitespace, '>' or '/'.
    if (next !== 32 && next !== 62 && next !== 47 && next !== 9 && next !== 10 && next !== 13) {
      pos = text.indexOf(open, pos + open.length);
      continue;
    }
    const tagEnd = text.indexOf('>', pos);
    if (tagEnd >= 0 && text.charCodeAt(tagEnd - 1) === 47) {
      slices.push(new Slice(lines, pos, tagEnd + 1));
      pos = text.indexOf(open, tagEnd + 1);
      continue;
    }
    const end = text.indexOf(close, pos);
    if (end < 0) {
      const reason = `<${name}> is not closed (file cut short?)`;
      problems.push(new XmlProblem(lines.at(pos), reason, text.slice(pos, pos + 200)));
      break;
    }
    slices.push(new Slice(lines, pos, end + close.length));
    pos = text.indexOf(open, end + close.length);
  }
  return { slices, problems };
}

/** A record element; its text and line are worked out when asked for: most records need neither. */
class Slice implements XmlSlice {
  constructor(
    private readonly lines: Lines,
    readonly at: number,
    readonly end: number,
  ) {}

  get text(): string {
    return this.lines.text.slice(this.at, this.end);
  }

  get line(): number {
    return this.lines.at(this.at);
  }
}

/** Line numbers of a text, counted on from the last one asked for. */
class Lines {
  private pos = 0;
  private line = 1;

  constructor(readonly text: string) {}

  /** The 1-based line of `pos`. */
  at(pos: number): number {
    if (pos < this.pos) {
      this.pos = 0;
      this.line = 1;
    }
    let i = this.text.indexOf('\n', this.pos);
    while (i >= 0 && i < pos) {
      this.line++;
      i = this.text.indexOf('\n', i + 1);
    }
    this.pos = pos;
    return this.line;
  }
}

/**
 * The parsed element tree of `whole[from, to)`, or a problem whose line numbers count from `firstLine` (where
 * the range starts; an XmlSlice's line is counted only then). The tree holds at least the `wanted` parts (all of
 * it when fast-xml-parser reads it).
 */
export function parseXml(
  whole: string,
  firstLine: number | Pick<XmlSlice, 'line'> = 1,
  from = 0,
  to = whole.length,
  wanted: Wanted = WHOLE,
  learn = false,
): XmlNode | XmlProblem {
  // The plain records writers emit take the fast reader (and with `learn` teach it their shape, xml-shapes.ts);
  // the rest, and every error, fast-xml-parser.
  const fast = readTree(whole, from, to, wanted);
  if (fast !== undefined) {
    if (learn) learnShape(whole, from, to, wanted);
    return fast;
  }
  const text = from === 0 && to === whole.length ? whole : whole.slice(from, to);
  const first = typeof firstLine === 'number' ? firstLine : firstLine.line;
  const valid = XMLValidator.validate(text);
  if (valid === true) {
    // The validator passes what the parser still refuses (more nesting than its limit, entity expansion
    // limits): a refused document is a problem of this file, never an exception that stops the tailer.
    try {
      return parser.parse(text) as XmlNode;
    } catch (err) {
      return new XmlProblem(first, `unreadable XML: ${(err as Error).message}`, text.slice(0, 200));
    }
  }
  const shift = first - 1;
  // The validator's message names lines too ("opened in line 10"): make them the file's lines.
  const msg = valid.err.msg.replace(/line (\d+)/g, (_, n: string) => `line ${Number(n) + shift}`);
  return new XmlProblem(valid.err.line + shift, `not well-formed XML: ${msg}`);
}

export type XmlNode = { [key: string]: unknown };

/** The child element at `path` (the first one when repeated), or undefined. */
export function child(node: unknown, ...path: string[]): unknown {
  let cur = node;
  for (const name of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as XmlNode)[name];
    if (Array.isArray(cur)) cur = cur[0];
  }
  return cur;
}

/** Text content of an element ('' when empty or absent). */
export function textOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node !== null && typeof node === 'object') {
    const t = (node as XmlNode)['#text'];
    return typeof t === 'string' ? t : t === undefined ? '' : String(t);
  }
  return node === undefined || node === null ? '' : String(node);
}

export function attrOf(node: unknown, name: string): string | undefined {
  return attributeAt(node, '@_' + name);
}

/** The attribute under its key in the tree (`@_name`). */
export function attributeAt(node: unknown, key: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const v = (node as XmlNode)[key];
  return typeof v === 'string' ? v : undefined;
}


/**
 * A strict single-pass reader for record-sized XML documents: the plain XML CDR writers emit (elements,
 * attributes, text, the five predefined entities, comments, CDATA), read into exactly the tree fast-xml-parser
 * builds with xml.ts's options, without its separate validation pass. Anything else — every document that is not
 * well-formed, and well-formed ones it leaves to fast-xml-parser (numeric character references, DOCTYPE,
 * processing instructions including the declaration, non-ASCII names) — gives undefined: the caller falls back
 * to fast-xml-parser, which words the errors. The tree mirrors fast-xml-parser 5 with ignoreAttributes false,
 * removeNSPrefix, no value parsing, trimValues:
 * - `p:name` → `name`; attributes as `@_name`; `xmlns` and `xmlns:*` attributes dropped;
 * - text trimmed per run between child elements and CDATA sections, runs joined without a separator (a comment
 *   does not end a run); CDATA kept as written; entities decoded after trimming;
 * - an element with attributes is an object ('#text' beside them when it has text); one with only text is the
 *   string; an empty one is ''; a repeated child is an array.
 */
import type { XmlNode } from './xml.js';

/** fast-xml-parser throws on or renames elements with these names (prototype pollution guards). */
const GUARDED_NAMES: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** fast-xml-parser refuses deeper documents (maxNestedTags 100); record documents are far shallower. */
const MAX_DEPTH = 64;

const LT = 60;
const GT = 62;
const SLASH = 47;
const BANG = 33;
const EQ = 61;
const COLON = 58;
const DQUOTE = 34;
const SQUOTE = 39;

interface Open {
  /** The name as written, prefix included: the end tag must match it. */
  raw: string;
  name: string;
  /** Created with the first child. */
  children: XmlNode | null;
  attrs: XmlNode | null;
  /** Trimmed text runs and CDATA so far. */
  text: string;
  /** The current text run, entities decoded, untrimmed. */
  run: string;
}

/**
 * The element tree of `text[from, to)`, or undefined when it is not (only) what this reader handles. It reads
 * the range in place: V8 reads the characters of a slice (a SlicedString) more slowly, ~13% on the fixtures.
 */
export function readTree(text: string, from = 0, to = text.length): XmlNode | undefined {
  // Holds the root element as its child.
  const doc: Open = { raw: '', name: '', children: null, attrs: null, text: '', run: '' };
  const stack: Open[] = [];
  let i = skipSpace(text, from);
  // From the root's start tag until its end tag.
  do {
    if (i >= to) return undefined;
    const top = stack[stack.length - 1];
    if (text.charCodeAt(i) !== LT) {
      if (top === undefined) return undefined;
      // Indentation between tags: trimmed away unless a comment splits a run of text.
      const next = skipSpace(text, i);
      if (top.run === '' && text.charCodeAt(next) === LT) {
        i = next;
        continue;
      }
      const lt = text.indexOf('<', next);
      if (lt < 0 || lt >= to) return undefined;
      const run = decode(text.slice(i, lt));
      if (run === undefined) return undefined;
      top.run += run;
      i = lt;
      continue;
    }
    const c = text.charCodeAt(i + 1);
    if (c === SLASH) {
      if (top === undefined) return undefined;
      const nameEnd = i + 2 + top.raw.length;
      const end = skipSpace(text, nameEnd);
      if (end >= to || text.charCodeAt(end) !== GT || text.slice(i + 2, nameEnd) !== top.raw) return undefined;
      stack.pop();
      endRun(top);
      add(stack[stack.length - 1] ?? doc, top.name, element(top.children, top.text, top.attrs));
      i = end + 1;
    } else if (c === BANG) {
      if (top === undefined) return undefined;
      if (text.startsWith('<!--', i)) {
        const end = find(text, '-->', i + 4, to);
        if (end < 0) return undefined;
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = find(text, ']]>', i + 9, to);
        if (end < 0) return undefined;
        endRun(top);
        top.text += lineEnds(text.slice(i + 9, end));
        i = end + 3;
      } else return undefined;
    } else {
      const tag = readStartTag(text, i);
      if (tag === undefined || tag.end > to || stack.length >= MAX_DEPTH) return undefined;
      if (top !== undefined) endRun(top);
      const parent = top ?? doc;
      if (tag.selfClosing) {
        add(parent, tag.name, tag.attrs ?? '');
        i = tag.end;
        continue;
      }
      // Most elements of a record hold just text: read them without a frame.
      const content = leafText(text, tag.end, tag.raw, to);
      if (content !== undefined) {
        add(parent, tag.name, element(null, content, tag.attrs));
        i = leafEnd;
      } else {
        stack.push({ raw: tag.raw, name: tag.name, children: null, attrs: tag.attrs, text: '', run: '' });
        i = tag.end;
      }
    }
  } while (stack.length > 0);
  // Nothing but whitespace after the root element.
  return skipSpace(text, i) >= to ? (doc.children ?? undefined) : undefined;
}

/**
 * Where `s` is in `text[from, to)`, or -1. Searched within the range: in a file of records that each open a
 * comment and none closes one, searching on to the end every time would take time growing with the square.
 */
function find(text: string, s: string, from: number, to: number): number {
  const k = text.slice(from, to).indexOf(s);
  return k < 0 ? -1 : from + k;
}

/** Just past the end tag of the last leafText. */
let leafEnd = 0;

/**
 * The trimmed text of an element that holds only text and ends in a plain end tag (`<a>text</a>`), read from
 * just after its start tag; undefined for any other element (the general path reads it, or finds it broken).
 */
function leafText(text: string, at: number, raw: string, to: number): string | undefined {
  const lt = text.indexOf('<', at);
  const nameEnd = lt + 2 + raw.length;
  if (lt < 0 || nameEnd >= to || text.charCodeAt(lt + 1) !== SLASH || text.charCodeAt(nameEnd) !== GT) return undefined;
  if (text.slice(lt + 2, nameEnd) !== raw) return undefined;
  const content = lt === at ? '' : decode(text.slice(at, lt));
  if (content === undefined) return undefined;
  leafEnd = nameEnd + 1;
  return content.trim();
}

function endRun(open: Open): void {
  if (open.run === '') return;
  open.text += open.run.trim();
  open.run = '';
}

/** An element's value as fast-xml-parser gives it. */
function element(children: XmlNode | null, text: string, attrs: XmlNode | null): unknown {
  if (children === null) {
    if (attrs === null) return text;
    if (text === '') return attrs;
  }
  // fast-xml-parser's key order: children, text, attributes.
  const node = children ?? {};
  if (text !== '') node['#text'] = text;
  return attrs === null ? node : Object.assign(node, attrs);
}

function add(parent: Open, name: string, value: unknown): void {
  const node = (parent.children ??= {});
  const prev = node[name];
  // An inherited name (`isPrototypeOf`) is not a child yet.
  if (prev === undefined || !Object.prototype.hasOwnProperty.call(node, name)) node[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else node[name] = [prev, value];
}

interface StartTag {
  raw: string;
  name: string;
  /** '@_name' → value; null when it has none (xmlns ones do not count). */
  attrs: XmlNode | null;
  selfClosing: boolean;
  /** Just past the '>'. */
  end: number;
}

function readStartTag(text: string, at: number): StartTag | undefined {
  const nameEnd = readName(text, at + 1);
  if (nameEnd < 0) return undefined;
  const { raw, local: name, guarded } = nameAt(text, at + 1, nameEnd);
  if (guarded) return undefined;
  let attrs: XmlNode | null = null;
  let dropped: string[] | null = null;
  let i = nameEnd;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === GT) return { raw, name, attrs, selfClosing: false, end: i + 1 };
    if (c === SLASH) return text.charCodeAt(i + 1) === GT ? { raw, name, attrs, selfClosing: true, end: i + 2 } : undefined;
    if (!isSpace(c)) return undefined; // an attribute must follow whitespace
    i = skipSpace(text, i);
    const d = text.charCodeAt(i);
    if (d === GT || d === SLASH) continue;
    const attrEnd = readName(text, i);
    if (attrEnd < 0) return undefined;
    const attr = nameAt(text, i, attrEnd);
    i = skipSpace(text, attrEnd);
    if (text.charCodeAt(i) !== EQ) return undefined;
    i = skipSpace(text, i + 1);
    const quote = text.charCodeAt(i);
    if (quote !== DQUOTE && quote !== SQUOTE) return undefined;
    const close = text.indexOf(quote === DQUOTE ? '"' : "'", i + 1);
    if (close < 0) return undefined;
    const valueStart = i + 1;
    i = close + 1;
    const written = text.slice(valueStart, close);
    const value = written.indexOf('<') < 0 ? decode(written) : undefined;
    if (value === undefined) return undefined;
    if (attr.key === '') {
      // Namespace declarations are not in the tree, but a repeated one is still not well-formed.
      dropped ??= [];
      if (dropped.includes(attr.raw)) return undefined;
      dropped.push(attr.raw);
      continue;
    }
    attrs ??= {};
    if (attrs[attr.key] !== undefined) return undefined;
    attrs[attr.key] = value.trim();
  }
}

interface Name {
  /** As written, prefix included. */
  raw: string;
  /** `p:name` → `name`. */
  local: string;
  /** As an attribute's key: `@_name`; '' for a namespace declaration (`xmlns`, `xmlns:p`), which is dropped. */
  key: string;
  /** Not an element name this reader takes (see GUARDED_NAMES). */
  guarded: boolean;
}

/**
 * The names seen before. A record repeats the same few dozen names, and a fresh slice of the text costs V8 a
 * string-table lookup each time it is used as a property key: these are interned once. Bounded, for documents
 * of ever new names. In front, a small table by length and a few characters: comparing a slice with the name
 * it likely is costs less than hashing it for the map.
 */
const names = new Map<string, Name>();
const MAX_NAMES = 1000;
const RECENT_SLOTS = 256;
const recent: (Name | undefined)[] = new Array<Name | undefined>(RECENT_SLOTS).fill(undefined);

function nameAt(text: string, from: number, to: number): Name {
  const raw = text.slice(from, to);
  const mix = Math.imul(to - from, 0x9e3779b1) ^ (text.charCodeAt(from + 1) << 5) ^ (text.charCodeAt(to - 1) << 2);
  const slot = (mix ^ text.charCodeAt((from + to) >> 1)) & (RECENT_SLOTS - 1);
  const likely = recent[slot];
  if (likely !== undefined && likely.raw === raw) return likely;
  const name = names.get(raw) ?? newName(raw);
  recent[slot] = name;
  return name;
}

function newName(written: string): Name {
  const raw = intern(written);
  const colon = raw.indexOf(':');
  const local = colon < 0 ? raw : intern(raw.slice(colon + 1));
  const xmlns = raw === 'xmlns' || raw.startsWith('xmlns:');
  const name: Name = { raw, local, key: xmlns ? '' : intern('@_' + local), guarded: GUARDED_NAMES.has(local) };
  if (names.size < MAX_NAMES) names.set(raw, name);
  return name;
}

/** The string-table copy of `s`: property keys are interned. */
function intern(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

/**
 * Past an ASCII name with at most one prefix (`name`, `p:name`), or -1. Names outside this set are left to
 * fast-xml-parser.
 */
function readName(text: string, at: number): number {
  if (!isNameStart(text.charCodeAt(at))) return -1;
  let i = at + 1;
  while (isNameChar(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== COLON) return i;
  if (!isNameStart(text.charCodeAt(i + 1))) return -1;
  i += 2;
  while (isNameChar(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === COLON ? -1 : i;
}

const ENTITIES: ReadonlyMap<string, string> = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
]);

/**
 * Text as written with the predefined entities decoded; undefined at any other '&' (a numeric reference, which
 * fast-xml-parser 5 leaves undecoded or removes by code point; an unknown entity; a bare '&'). A slice, not a
 * range of the whole text: that may be a file of many records, too long to search for an '&' that is not there.
 */
function decode(written: string): string | undefined {
  const s = lineEnds(written);
  let amp = s.indexOf('&');
  if (amp < 0) return s;
  let out = '';
  let last = 0;
  while (amp >= 0) {
    const semi = s.indexOf(';', amp + 1);
    if (semi < 0 || semi - amp > 5) return undefined;
    const ch = ENTITIES.get(s.slice(amp + 1, semi));
    if (ch === undefined) return undefined;
    out += s.slice(last, amp) + ch;
    last = semi + 1;
    amp = s.indexOf('&', last);
  }
  return out + s.slice(last);
}

/** fast-xml-parser reads every line end as '\n' (XML 1.0 §2.11). */
function lineEnds(s: string): string {
  return s.indexOf('\r') < 0 ? s : s.replace(/\r\n?/g, '\n');
}

function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
}

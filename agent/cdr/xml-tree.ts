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
 * Given the parts a format reads (a Wanted trie, xml-paths.ts), it builds only those: fast-xml-parser's tree
 * pruned to them. The rest is checked as strictly but allocates nothing: most of a record is never read.
 */
import type { XmlNode } from './xml.js';

/** Which parts of a document readTree builds: a trie of element names from the document down. */
export interface Wanted {
  /** The element's local name ('' above the root). */
  readonly name: string;
  /** All of it, everything below included. */
  readonly whole: boolean;
  /** The child elements to build; the others are only checked. Text is always kept. */
  readonly children: readonly Wanted[];
  /** The attributes to keep. */
  readonly attrs: readonly WantedAttribute[];
}

export interface WantedAttribute {
  /** Local name. */
  readonly name: string;
  /** `@_name`, interned. */
  readonly key: string;
}

/** The whole document, as fast-xml-parser builds it. */
export const WHOLE: Wanted = { name: '', whole: true, children: [], attrs: [] };

/** fast-xml-parser throws on or renames elements with these names (prototype pollution guards). */
const GUARDED_NAMES: readonly string[] = [
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
];

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
const AMP = 38;

interface Open {
  /** Where the name as written, prefix included, is in the text: the end tag must match it. */
  rawFrom: number;
  rawTo: number;
  name: string;
  want: Wanted;
  /** Created with the first child. */
  children: XmlNode | null;
  attrs: XmlNode | null;
  /** Trimmed text runs and CDATA so far. */
  text: string;
  /** The current text run, entities decoded, untrimmed. */
  run: string;
}

/**
 * The element tree of `text[from, to)` — of its `wanted` parts — or undefined when it is not (only) what this
 * reader handles. It reads the range in place: V8 reads the characters of a slice (a SlicedString) more slowly,
 * ~13% on the fixtures.
 */
export function readTree(text: string, from = 0, to = text.length, wanted: Wanted = WHOLE): XmlNode | undefined {
  // Holds the root element as its child.
  const doc: Open = { rawFrom: 0, rawTo: 0, name: '', want: wanted, children: null, attrs: null, text: '', run: '' };
  const stack: Open[] = [];
  // Most records have no entity at all: then no text needs looking at character by character.
  entities = text.slice(from, to).indexOf('&') >= 0;
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
      if (lt < 0 || lt >= to || !isText(text, next, lt)) return undefined;
      top.run += decode(text.slice(i, lt));
      i = lt;
      continue;
    }
    const c = text.charCodeAt(i + 1);
    if (c === SLASH) {
      if (top === undefined) return undefined;
      const end = endTag(text, i, top.rawFrom, top.rawTo);
      if (end < 0 || end > to) return undefined;
      stack.pop();
      endRun(top);
      addChild(stack[stack.length - 1] ?? doc, top.name, element(top.children, top.text, top.attrs));
      i = end;
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
      const nameEnd = readName(text, i + 1);
      if (nameEnd < 0 || stack.length >= MAX_DEPTH || isGuarded(text, i + 1, localFrom, nameEnd)) return undefined;
      if (top !== undefined) endRun(top);
      const parent = top ?? doc;
      const want = parent.want.whole ? WHOLE : wantedChild(parent.want, text, localFrom, nameEnd);
      if (want === undefined) {
        // Not read by the format: checked as strictly, built not at all.
        i = skipElement(text, i, nameEnd, to, stack.length);
        if (i < 0) return undefined;
        continue;
      }
      const tagEnd = scanAttributes(text, nameEnd);
      if (tagEnd < 0 || tagEnd > to) return undefined;
      const attrs = attributes(text, want);
      const name = want === WHOLE ? nameAt(text, i + 1, nameEnd).local : want.name;
      if (selfClosing) {
        addChild(parent, name, attrs ?? '');
        i = tagEnd;
        continue;
      }
      // Most elements of a record hold just text: read them without a frame.
      const content = leafText(text, tagEnd, i + 1, nameEnd, to);
      if (content !== undefined) {
        addChild(parent, name, element(null, content, attrs));
        i = leafEnd;
      } else {
        stack.push({ rawFrom: i + 1, rawTo: nameEnd, name, want, children: null, attrs, text: '', run: '' });
        i = tagEnd;
      }
    }
  } while (stack.length > 0);
  // Nothing but whitespace after the root element; {} when not even the root is wanted.
  return skipSpace(text, i) >= to ? (doc.children ?? {}) : undefined;
}

/** The child of `want` named at text[from, to) (a local name), or undefined when it is not built. */
export function wantedChild(want: Wanted, text: string, from: number, to: number): Wanted | undefined {
  for (const c of want.children) if (c.name.length === to - from && startsAt(text, c.name, from)) return c;
  return undefined;
}

/** The open elements of skipElement: their names' [from, to) in the text. */
const skipped = new Int32Array(2 * MAX_DEPTH);

/**
 * Just past the element whose start tag is at `at` (its name read up to `nameEnd`), or -1 where readTree would
 * give up in it. `depth` elements are open around it.
 */
function skipElement(text: string, at: number, nameEnd: number, to: number, depth: number): number {
  let i = scanAttributes(text, nameEnd);
  if (i < 0 || i > to) return -1;
  if (selfClosing) return i;
  skipped[0] = at + 1;
  skipped[1] = nameEnd;
  let open = 1;
  while (open > 0) {
    const lt = text.indexOf('<', i);
    if (lt < 0 || lt >= to || !isText(text, i, lt)) return -1;
    const c = text.charCodeAt(lt + 1);
    if (c === SLASH) {
      i = endTag(text, lt, skipped[2 * open - 2] as number, skipped[2 * open - 1] as number);
      if (i < 0 || i > to) return -1;
      open--;
    } else if (c === BANG) {
      const comment = text.startsWith('<!--', lt);
      if (!comment && !text.startsWith('<![CDATA[', lt)) return -1;
      const end = comment ? find(text, '-->', lt + 4, to) : find(text, ']]>', lt + 9, to);
      if (end < 0) return -1;
      i = end + 3;
    } else {
      const end = readName(text, lt + 1);
      if (end < 0 || depth + open >= MAX_DEPTH || isGuarded(text, lt + 1, localFrom, end)) return -1;
      i = scanAttributes(text, end);
      if (i < 0 || i > to) return -1;
      if (!selfClosing) {
        skipped[2 * open] = lt + 1;
        skipped[2 * open + 1] = end;
        open++;
      }
    }
  }
  return i;
}

/**
 * Where `s` is in `text[from, to)`, or -1. Searched within the range: in a file of records that each open a
 * comment and none closes one, searching on to the end every time would take time growing with the square.
 */
function find(text: string, s: string, from: number, to: number): number {
  const k = text.slice(from, to).indexOf(s);
  return k < 0 ? -1 : from + k;
}

/** Just past the end tag at `lt` when it closes the element named at text[rawFrom, rawTo), else -1. */
function endTag(text: string, lt: number, rawFrom: number, rawTo: number): number {
  const at = lt + 2 - rawFrom;
  for (let k = rawFrom; k < rawTo; k++) if (text.charCodeAt(at + k) !== text.charCodeAt(k)) return -1;
  const end = skipSpace(text, at + rawTo);
  return text.charCodeAt(end) === GT ? end + 1 : -1;
}

/** Just past the end tag of the last leafText. */
let leafEnd = 0;

/**
 * The trimmed text of an element that holds only text and its end tag (`<a>text</a>`), read from just after its
 * start tag; undefined for any other element (the general path reads it, or finds it broken).
 */
function leafText(text: string, at: number, rawFrom: number, rawTo: number, to: number): string | undefined {
  const lt = text.indexOf('<', at);
  if (lt < 0 || lt >= to || text.charCodeAt(lt + 1) !== SLASH) return undefined;
  const end = endTag(text, lt, rawFrom, rawTo);
  if (end < 0 || end > to || !isText(text, at, lt)) return undefined;
  leafEnd = end;
  return lt === at ? '' : decode(text.slice(at, lt)).trim();
}

function endRun(open: Open): void {
  if (open.run === '') return;
  open.text += open.run.trim();
  open.run = '';
}

/** An element's value as fast-xml-parser gives it. */
export function element(children: XmlNode | null, text: string, attrs: XmlNode | null): unknown {
  if (children === null) {
    if (attrs === null) return text;
    if (text === '') return attrs;
  }
  // fast-xml-parser's key order: children, text, attributes.
  const node = children ?? {};
  if (text !== '') node['#text'] = text;
  return attrs === null ? node : Object.assign(node, attrs);
}

function addChild(parent: Open, name: string, value: unknown): void {
  add((parent.children ??= {}), name, value);
}

/** Adds a child element's value under `name`: a repeated one makes an array, in document order. */
export function add(node: XmlNode, name: string, value: unknown): void {
  const prev = node[name];
  // An inherited name (`isPrototypeOf`) is not a child yet.
  if (prev === undefined || !Object.prototype.hasOwnProperty.call(node, name)) node[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else node[name] = [prev, value];
}

/** The attributes of the start tag scanAttributes read last, as ranges of the text. */
const attr = { count: 0, raw: [0], local: [0], end: [0], value: [0], valueEnd: [0], xmlns: [false], key: [0] };
/** Whether the start tag scanAttributes read last ends in '/>'. */
let selfClosing = false;

/**
 * Just past the start tag whose name ends at `at`, or -1 when its attributes are not well-formed (or repeat a
 * key). Allocates nothing: `attributes` builds the wanted ones.
 */
function scanAttributes(text: string, at: number): number {
  attr.count = 0;
  // No '<' in attribute values: every one ends before the next '<'.
  let lt = -1;
  let i = at;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === GT || c === SLASH) {
      selfClosing = c === SLASH;
      if (selfClosing && text.charCodeAt(++i) !== GT) return -1;
      return distinctKeys(text) ? i + 1 : -1;
    }
    if (!isSpace(c)) return -1; // an attribute must follow whitespace
    i = skipSpace(text, i);
    const d = text.charCodeAt(i);
    if (d === GT || d === SLASH) continue;
    const nameFrom = i;
    const nameEnd = readName(text, i);
    if (nameEnd < 0) return -1;
    const local = localFrom;
    i = skipSpace(text, nameEnd);
    if (text.charCodeAt(i) !== EQ) return -1;
    i = skipSpace(text, i + 1);
    const quote = text.charCodeAt(i);
    if (quote !== DQUOTE && quote !== SQUOTE) return -1;
    const close = text.indexOf(quote === DQUOTE ? '"' : "'", i + 1);
    if (lt < close) lt = text.indexOf('<', i + 1);
    if (close < 0 || (lt >= 0 && lt < close) || !isText(text, i + 1, close)) return -1;
    const n = attr.count++;
    attr.raw[n] = nameFrom;
    attr.local[n] = local;
    attr.end[n] = nameEnd;
    attr.value[n] = i + 1;
    attr.valueEnd[n] = close;
    // Namespace declarations are not in the tree, but a repeated one is still not well-formed: their key is
    // their whole name, the others' their local name.
    const xmlns = isNamespace(text, nameFrom, nameEnd);
    attr.xmlns[n] = xmlns;
    attr.key[n] = xmlns ? nameFrom : local;
    i = close + 1;
  }
}

/** Records rarely have more: beyond, the keys are compared as strings. */
const PAIRWISE_KEYS = 16;

/** No two attributes of the last start tag have one key: `p:k` and `k` are both `@_k` once prefixes go. */
function distinctKeys(text: string): boolean {
  const n = attr.count;
  if (n < 2) return true;
  if (n > PAIRWISE_KEYS) {
    const seen = new Set<string>();
    for (let k = 0; k < n; k++) {
      seen.add((attr.xmlns[k] === true ? 'xmlns ' : '@_') + text.slice(attr.key[k], attr.end[k]));
    }
    return seen.size === n;
  }
  for (let a = 1; a < n; a++) {
    for (let b = 0; b < a; b++) if (sameKey(text, a, b)) return false;
  }
  return true;
}

function sameKey(text: string, a: number, b: number): boolean {
  const fromA = attr.key[a] as number;
  const fromB = attr.key[b] as number;
  const len = (attr.end[a] as number) - fromA;
  if (len !== (attr.end[b] as number) - fromB || attr.xmlns[a] !== attr.xmlns[b]) return false;
  for (let k = 0; k < len; k++) if (text.charCodeAt(fromA + k) !== text.charCodeAt(fromB + k)) return false;
  return true;
}

/** The wanted attributes of the last start tag, '@_name' → value; null when none. */
function attributes(text: string, want: Wanted): XmlNode | null {
  if (!want.whole && want.attrs.length === 0) return null;
  let attrs: XmlNode | null = null;
  for (let k = 0; k < attr.count; k++) {
    if (attr.xmlns[k] === true) continue;
    const local = attr.local[k] as number;
    const end = attr.end[k] as number;
    const key = want.whole ? nameAt(text, attr.raw[k] as number, end).key : wantedKey(want, text, local, end);
    if (key === undefined) continue;
    attrs ??= {};
    attrs[key] = decode(text.slice(attr.value[k], attr.valueEnd[k])).trim();
  }
  return attrs;
}

/** The key (`@_name`) of the attribute of `want` named at text[from, to) (a local name), or undefined. */
export function wantedKey(want: Wanted, text: string, from: number, to: number): string | undefined {
  for (const a of want.attrs) if (a.name.length === to - from && startsAt(text, a.name, from)) return a.key;
  return undefined;
}

interface Name {
  /** As written, prefix included. */
  raw: string;
  /** `p:name` → `name`. */
  local: string;
  /** As an attribute's key: `@_name`. */
  key: string;
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
  const name: Name = { raw, local, key: intern('@_' + local) };
  if (names.size < MAX_NAMES) names.set(raw, name);
  return name;
}

/** The string-table copy of `s`: property keys are interned. */
export function intern(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

/** GUARDED_NAMES by length: most names are no guarded name's length. */
const GUARDED_BY_LENGTH: readonly (readonly string[] | undefined)[] = GUARDED_NAMES.reduce<string[][]>((by, g) => {
  (by[g.length] ??= []).push(g);
  return by;
}, []);

/**
 * Not an element name this reader takes: a GUARDED_NAMES one, or `xmlns`/`xmlns:*` (fast-xml-parser names such an
 * element '' where this reader would name it by its local part). `rawFrom`: where the name starts, its prefix
 * included; `from`: where its local part starts.
 */
function isGuarded(text: string, rawFrom: number, from: number, to: number): boolean {
  if (isNamespace(text, rawFrom, to)) return true;
  const same = GUARDED_BY_LENGTH[to - from];
  if (same !== undefined) for (const g of same) if (startsAt(text, g, from)) return true;
  return false;
}

/**
 * Past an ASCII name with at most one prefix (`name`, `p:name`), or -1. Names outside this set are left to
 * fast-xml-parser.
 */
function readName(text: string, at: number): number {
  if (!isNameStart(text.charCodeAt(at))) return -1;
  let i = at + 1;
  while (isNameChar(text.charCodeAt(i))) i++;
  localFrom = at;
  if (text.charCodeAt(i) !== COLON) return i;
  if (!isNameStart(text.charCodeAt(i + 1))) return -1;
  i += 2;
  localFrom = i - 1;
  while (isNameChar(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === COLON ? -1 : i;
}

/** Where the local name of the last name readName read starts: past its prefix. */
let localFrom = 0;

/** The predefined entities after their '&', the only ones this reader decodes. */
export const ENTITIES = ['amp;', 'lt;', 'gt;', 'quot;', 'apos;'];
const DECODED: Readonly<Record<string, string>> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&apos;': "'",
};

/** Whether the record readTree reads has an '&' anywhere. */
let entities = false;

/**
 * Whether text[from, to), which holds no '<', is text this reader decodes: every '&' one of the predefined
 * entities (not a numeric reference, which fast-xml-parser 5 leaves undecoded or removes by code point; not an
 * unknown entity or a bare '&'). A loop over the range, not a search: the text may be a file of many records,
 * too long to search for an '&' that is not there.
 */
function isText(text: string, from: number, to: number): boolean {
  if (!entities) return true;
  for (let k = from; k < to; k++) {
    if (text.charCodeAt(k) === AMP && !ENTITIES.some((e) => text.startsWith(e, k + 1))) return false;
  }
  return true;
}

/** `xmlns` or `xmlns:*`, the name at text[from, to): a namespace declaration, left out of the tree. */
export function isNamespace(text: string, from: number, to: number): boolean {
  return startsAt(text, 'xmlns', from) && (to - from === 5 || text.charCodeAt(from + 5) === COLON);
}

/** Text that isText passed, with the predefined entities decoded. */
export function decode(written: string): string {
  const s = lineEnds(written);
  return s.indexOf('&') < 0 ? s : s.replace(/&(?:amp|lt|gt|quot|apos);/g, (e) => DECODED[e] ?? e);
}

/** fast-xml-parser reads every line end as '\n' (XML 1.0 §2.11). */
function lineEnds(s: string): string {
  return s.indexOf('\r') < 0 ? s : s.replace(/\r\n?/g, '\n');
}

/** text.startsWith(s, at), the first character compared inline: mostly it differs, and the call costs. */
function startsAt(text: string, s: string, at: number): boolean {
  return text.charCodeAt(at) === s.charCodeAt(0) && text.startsWith(s, at);
}

function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

export function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
}

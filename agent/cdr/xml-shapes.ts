/**
 * Record shapes. A CDR writer is a program: every record of one kind carries the same markup — the same tags,
 * attributes and indentation — and only the values differ. A shape is that markup, learned from a record
 * xml-tree.ts read (so known well-formed): runs of literal markup, each followed by a value (an element's text,
 * an attribute's) or by the record's end. A later record is read by comparing its markup with the runs, four
 * bytes at a time, and finding each value's end in the bytes. It is well-formed because its markup is one that
 * was and its values hold nothing that could end them early: no '<', no '&' but the predefined entities. Its tree
 * is built from the values by a plan learned with the shape, through xml-tree.ts's own builder (or its declared
 * fields read straight from the values): what readTree would give. The shapes of one format share a trie of
 * runs, bounded; a record that fits none is read by readTree and its shape learned. Measured in
 * bench/README.md (CDR parse): Metaswitch and BroadWorks records about three times as fast as by readTree.
 */
import type { XmlNode } from './xml.js';
import {
  add,
  decode,
  element,
  ENTITIES,
  intern,
  isNamespace,
  isSpace,
  wantedChild,
  wantedKey,
  WHOLE,
  type Wanted,
} from './xml-tree.js';

/** What follows a run: the record's end, or a value ending at '<' (text) or at its closing quote. */
const END = 0;
const LT = 60;
const DQUOTE = 34;
const SQUOTE = 39;
type Follows = typeof END | typeof LT | typeof DQUOTE | typeof SQUOTE;

interface Run {
  /** Markup, as written: ASCII (readTree takes no other names), compared as bytes. */
  readonly literal: string;
  /** The literal's bytes, four at a time (little-endian) and the last few alone: one compare per word. */
  readonly words: Uint32Array;
  readonly tail: Uint8Array;
  readonly follows: Follows;
  /** The runs that may come next, longest first (see match). */
  readonly next: Run[];
  /** After a run that ends the record: how to build its tree. */
  plan: Plan | undefined;
}

/** How to build the tree of a record of a shape from its values (numbered in document order). */
interface Plan {
  /** The root element; undefined when not even it is wanted ({}). */
  readonly root: Build | undefined;
  /** For readShapedFields: which value each of `fieldsOf` reads (fieldValue). */
  fieldsOf?: readonly FieldPath[];
  fieldValues?: Int32Array;
}

/** One built element: its wanted attributes and children in document order, its text a value or none (''). */
interface Build {
  readonly name: string;
  readonly attrs: { key: string; value: number }[];
  readonly children: Build[];
  text: number;
}

interface Shapes {
  readonly first: Run[];
  runs: number;
  /** Records not learned, for want of room, since the last one learned. */
  unlearned: number;
}

/** Per format (its Wanted): a file of ever new shapes must not grow memory or the time a mismatch costs. */
const MAX_RUNS = 4096;
/** A full trie that keeps missing is of shapes gone by: it is dropped after this many records and learned again. */
const RELEARN_AFTER = 1000;
/** Values per record: beyond, a record is read by readTree. */
const MAX_VALUES = 1024;

const known = new WeakMap<Wanted, Shapes>();

/** The bytes a text was read from, one per character, and a view of them for reading four at a time. */
export interface TextBytes {
  readonly bytes: Buffer;
  readonly view: DataView;
}

export function textBytes(bytes: Buffer): TextBytes {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Where each value of the record being read starts and ends, and whether it holds a CR or an entity to decode. */
const valueFrom = new Int32Array(MAX_VALUES);
const valueTo = new Int32Array(MAX_VALUES);
const valueRaw = new Uint8Array(MAX_VALUES);

const ENTITY_BYTES = ENTITIES.map((e) => Buffer.from(e, 'latin1'));

const AMP = 38;
const CR = 13;

/**
 * The tree of the record text[from, to) — its `wanted` parts, as readTree builds them — when it is of a shape
 * learned for `wanted`; else undefined. `source`: the bytes the text was read from, one per character (ASCII, or
 * ISO-8859-1): the markup and the values' ends are found in them, where reading is cheapest.
 */
export function readShaped(text: string, source: TextBytes, from: number, to: number, wanted: Wanted): XmlNode | undefined {
  const plan = matchShape(source, from, to, wanted);
  if (plan === undefined) return undefined;
  const doc: XmlNode = {};
  if (plan.root !== undefined) add(doc, plan.root.name, buildElement(plan.root, text, source.bytes));
  return doc;
}

/**
 * A field of a record element, `key` in what is read: the text of the element at `names`, or its attribute
 * `attrKey` (`@_name`).
 */
export interface FieldPath {
  readonly key: string;
  readonly names: readonly string[];
  readonly attrKey: string | undefined;
}

/**
 * The values of `fields` in the record text[from, to), by key, when it is of a shape learned for `wanted`,
 * without a tree: what reading them from readTree's tree gives (the first element where one repeats; a text path
 * '' and an attribute path undefined where absent). `fields` must be read only with the `wanted` made for them.
 */
export function readShapedFields(
  text: string,
  source: TextBytes,
  from: number,
  to: number,
  wanted: Wanted,
  fields: readonly FieldPath[],
): Record<string, string | undefined> | undefined {
  const plan = matchShape(source, from, to, wanted);
  if (plan === undefined) return undefined;
  if (plan.fieldsOf !== fields) {
    plan.fieldValues = Int32Array.from(fields, (f) => fieldValue(plan.root, f));
    plan.fieldsOf = fields;
  }
  const at = plan.fieldValues as Int32Array;
  const out: Record<string, string | undefined> = {};
  for (let k = 0; k < at.length; k++) {
    const n = at[k] as number;
    out[(fields[k] as FieldPath).key] = n >= 0 ? valueOf(text, source.bytes, n) : n === ABSENT_TEXT ? '' : undefined;
  }
  return out;
}

const ABSENT_TEXT = -1;
const ABSENT_ATTRIBUTE = -2;

/** Which value of the shape a field reads, or what it reads when it reads none. */
function fieldValue(root: Build | undefined, f: FieldPath): number {
  let b = root;
  for (const name of f.names) b = b?.children.find((c) => c.name === name);
  if (f.attrKey === undefined) return b === undefined || b.text < 0 ? ABSENT_TEXT : b.text;
  return b?.attrs.find((a) => a.key === f.attrKey)?.value ?? ABSENT_ATTRIBUTE;
}

/** The plan of the shape the record bytes[from, to) is of, its values' ranges in valueFrom/valueTo; or undefined. */
function matchShape(source: TextBytes, from: number, to: number, wanted: Wanted): Plan | undefined {
  const shapes = known.get(wanted);
  if (shapes === undefined) return undefined;
  const { bytes, view } = source;
  let runs = shapes.first;
  let pos = from;
  for (let n = 0; ; n++) {
    const run = match(runs, bytes, view, pos, to);
    if (run === undefined) return undefined;
    pos += run.literal.length;
    if (run.follows === END) return pos === to ? run.plan : undefined;
    // A value: up to '<' (text) or its quote; no '<' in an attribute, '&' only as a predefined entity.
    const stop = run.follows;
    let raw = 0;
    let p = pos;
    for (; p < to; p++) {
      const b = bytes[p] as number;
      if (b === stop) break;
      if (b === LT) return undefined;
      if (b === AMP) {
        const length = entityAt(bytes, p + 1, to);
        if (length === 0) return undefined;
        p += length;
        raw = 1;
      } else if (b === CR) raw = 1;
    }
    if (p >= to) return undefined;
    valueFrom[n] = pos;
    valueTo[n] = p;
    valueRaw[n] = raw;
    pos = p;
    runs = run.next;
  }
}

/** The length of the predefined entity's name and ';' at bytes[at, to) (after its '&'), or 0 when none is. */
function entityAt(bytes: Uint8Array, at: number, to: number): number {
  next: for (const e of ENTITY_BYTES) {
    if (at + e.length > to) continue;
    for (let k = 0; k < e.length; k++) if (bytes[at + k] !== e[k]) continue next;
    return e.length;
  }
  return 0;
}

/**
 * The run that the bytes at `pos` start with. At most one of several can lead to the record's end: when two
 * match, the shorter is a prefix of the longer, and ends in a leaf's start tag whose text would run into the
 * longer one's child element. Longest first, then, and no going back.
 */
function match(runs: readonly Run[], bytes: Uint8Array, view: DataView, pos: number, to: number): Run | undefined {
  next: for (const run of runs) {
    if (pos + run.literal.length > to) continue;
    const words = run.words;
    let at = pos;
    for (let w = 0; w < words.length; w++, at += 4) if (view.getUint32(at, true) !== words[w]) continue next;
    const tail = run.tail;
    for (let t = 0; t < tail.length; t++) if (bytes[at + t] !== tail[t]) continue next;
    return run;
  }
  return undefined;
}

function buildElement(b: Build, text: string, bytes: Buffer): unknown {
  let children: XmlNode | null = null;
  for (const c of b.children) add((children ??= {}), c.name, buildElement(c, text, bytes));
  let attrs: XmlNode | null = null;
  for (const a of b.attrs) (attrs ??= {})[a.key] = valueOf(text, bytes, a.value);
  return element(children, b.text < 0 ? '' : valueOf(text, bytes, b.text), attrs);
}

/** As readTree gives a value: entities decoded, line ends made '\n', trimmed. */
function valueOf(text: string, bytes: Buffer, n: number): string {
  let from = valueFrom[n] as number;
  let to = valueTo[n] as number;
  if (valueRaw[n] === 1) return decode(text.slice(from, to)).trim();
  while (from < to && isTrimmed(bytes[from] as number)) from++;
  while (to > from && isTrimmed(bytes[to - 1] as number)) to--;
  return text.slice(from, to);
}

/** A run of `literal`, its bytes laid out for match. */
function newRun(literal: string, follows: Follows): Run {
  const bytes = Buffer.from(literal, 'latin1');
  const whole = bytes.length >> 2;
  const words = new Uint32Array(whole);
  for (let w = 0; w < whole; w++) words[w] = bytes.readUInt32LE(4 * w);
  return { literal, words, tail: Uint8Array.from(bytes.subarray(4 * whole)), follows, next: [], plan: undefined };
}

/**
 * Learns the shape of text[from, to), a record readTree read with `wanted` (so well-formed, and in its subset:
 * nothing here is checked again). Records with comments, CDATA or text beside child elements are not learned.
 */
export function learnShape(text: string, from: number, to: number, wanted: Wanted): void {
  if (text.slice(from, to).indexOf('<!') >= 0) return;
  const learned = shapeOf(text, from, to, wanted);
  if (learned === undefined) return;
  const shapes = known.get(wanted) ?? { first: [], runs: 0, unlearned: 0 };
  if (shapes.runs + learned.literals.length > MAX_RUNS) {
    if (++shapes.unlearned >= RELEARN_AFTER) known.delete(wanted);
    return;
  }
  known.set(wanted, shapes);
  let runs = shapes.first;
  let last: Run | undefined;
  for (let k = 0; k < learned.literals.length; k++) {
    const literal = learned.literals[k] as string;
    const follows = learned.follows[k] as Follows;
    let run = runs.find((r) => r.follows === follows && r.literal === literal);
    if (run === undefined) {
      run = newRun(intern(literal), follows);
      runs.push(run);
      runs.sort((a, b) => b.literal.length - a.literal.length);
      shapes.runs++;
    }
    last = run;
    runs = run.next;
  }
  if (last !== undefined) last.plan ??= learned.plan;
  shapes.unlearned = 0;
}

interface Learned {
  literals: string[];
  follows: Follows[];
  plan: Plan;
}

/** An open element: what of it is wanted and built (undefined: nothing). */
interface Frame {
  want: Wanted | undefined;
  build: Build | undefined;
}

function shapeOf(text: string, from: number, to: number, wanted: Wanted): Learned | undefined {
  const literals: string[] = [];
  const follows: Follows[] = [];
  let literalFrom = from;
  const value = (at: number, end: number, kind: Follows): number => {
    literals.push(text.slice(literalFrom, at));
    follows.push(kind);
    literalFrom = end;
    return literals.length - 1;
  };
  const doc: Frame = { want: wanted, build: { name: '', attrs: [], children: [], text: -1 } };
  const stack: Frame[] = [doc];
  let i = from;
  for (;;) {
    const lt = text.indexOf('<', i);
    // Between tags (a leaf's text is taken with its start tag): only indentation.
    if (lt < 0 || lt >= to) return blank(text, i, to) ? done() : undefined;
    if (!blank(text, i, lt)) return undefined;
    const c = text.charCodeAt(lt + 1);
    if (c === 33 || c === 63) return undefined; // '<!' comments and CDATA, '<?'
    if (c === 47) {
      stack.pop();
      i = text.indexOf('>', lt) + 1;
      continue;
    }
    const parent = stack[stack.length - 1] as Frame;
    const nameEnd = nameEndAt(text, lt + 1);
    const local = localPartAt(text, lt + 1, nameEnd);
    const want =
      parent.want === undefined ? undefined : parent.want.whole ? WHOLE : wantedChild(parent.want, text, local, nameEnd);
    const b: Build | undefined =
      want === undefined
        ? undefined
        : { name: want === WHOLE ? intern(text.slice(local, nameEnd)) : want.name, attrs: [], children: [], text: -1 };
    // Attributes: name, '=', a quoted value.
    let j = nameEnd;
    for (;;) {
      while (isSpace(text.charCodeAt(j))) j++;
      const d = text.charCodeAt(j);
      if (d === 62 || d === 47) break;
      const attrEnd = nameEndAt(text, j);
      const eq = text.indexOf('=', attrEnd);
      let q = eq + 1;
      while (isSpace(text.charCodeAt(q))) q++;
      const quote = text.charCodeAt(q) as typeof DQUOTE | typeof SQUOTE;
      const close = text.indexOf(quote === DQUOTE ? '"' : "'", q + 1);
      const n = value(q + 1, close, quote);
      if (b !== undefined && want !== undefined && !isNamespace(text, j, attrEnd)) {
        const attrLocal = localPartAt(text, j, attrEnd);
        const key = want.whole ? intern('@_' + text.slice(attrLocal, attrEnd)) : wantedKey(want, text, attrLocal, attrEnd);
        if (key !== undefined) b.attrs.push({ key, value: n });
      }
      j = close + 1;
    }
    if (b !== undefined) parent.build?.children.push(b);
    if (text.charCodeAt(j) === 47) {
      i = j + 2;
      continue;
    }
    const contentFrom = j + 1;
    const next = text.indexOf('<', contentFrom);
    if (text.charCodeAt(next + 1) === 47) {
      // A leaf: its text is a value (even when empty here), its end tag the next one.
      const n = value(contentFrom, next, LT);
      if (b !== undefined) b.text = n;
      i = text.indexOf('>', next) + 1;
    } else {
      stack.push({ want, build: b });
      i = contentFrom;
    }
    if (literals.length > MAX_VALUES) return undefined;
  }

  function done(): Learned | undefined {
    if (literals.length > MAX_VALUES) return undefined;
    literals.push(text.slice(literalFrom, to));
    follows.push(END);
    return { literals, follows, plan: { root: doc.build?.children[0] } };
  }
}

function nameEndAt(text: string, at: number): number {
  let i = at;
  for (let c = text.charCodeAt(i); !isSpace(c) && c !== 62 && c !== 47 && c !== 61; c = text.charCodeAt(++i));
  return i;
}

/** Where the local part of the name at text[from, to) starts: past its prefix. */
function localPartAt(text: string, from: number, to: number): number {
  const colon = text.slice(from, to).indexOf(':');
  return colon < 0 ? from : from + colon + 1;
}

function blank(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(text.charCodeAt(k))) return false;
  return true;
}

/** What String.prototype.trim removes, of the characters one byte stands for (U+00A0 in ISO-8859-1). */
function isTrimmed(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 160;
}

/**
 * What the XML reader tests share: fast-xml-parser as the reference (whole, or pruned to what a format reads),
 * and generated record documents in the forms XML CDR writers use.
 */
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { expect } from 'vitest';
import { wantedPaths } from '../../../agent/cdr/xml-paths.js';
import { WHOLE, type Wanted } from '../../../agent/cdr/xml-tree.js';
import { xmlParserOptions, type XmlNode } from '../../../agent/cdr/xml.js';

const fxp = new XMLParser(xmlParserOptions);

/** fast-xml-parser's tree of `doc`, or undefined when it refuses it. */
export function reference(doc: string): unknown {
  if (XMLValidator.validate(doc) !== true) return undefined;
  try {
    return fxp.parse(doc) as unknown;
  } catch {
    return undefined;
  }
}

/** fast-xml-parser's tree of a document pruned to the wanted parts (the reference for readTree's wanted mode). */
export function pruned(tree: unknown, wanted: Wanted): unknown {
  if (wanted.whole) return tree;
  const out: XmlNode = {};
  for (const [name, value] of Object.entries(tree as XmlNode)) {
    const want = wanted.children.find((c) => c.name === name);
    if (want !== undefined) out[name] = Array.isArray(value) ? value.map((v) => prunedElement(v, want)) : prunedElement(value, want);
  }
  return out;
}

function prunedElement(value: unknown, wanted: Wanted): unknown {
  if (wanted.whole || typeof value !== 'object') return value;
  const out: XmlNode = {};
  for (const [key, v] of Object.entries(value as XmlNode)) {
    if (key === '#text' || wanted.attrs.some((a) => a.key === key)) out[key] = v;
    else if (!key.startsWith('@_')) Object.assign(out, pruned({ [key]: v }, wanted));
  }
  const keys = Object.keys(out);
  // What is left takes fast-xml-parser's shapes: only text is the string, nothing is ''.
  if (keys.length === 0) return '';
  return keys.length === 1 && keys[0] === '#text' ? out['#text'] : out;
}

/** The fast reader's tree equals fast-xml-parser's (pruned to `wanted`), key order included. */
export function expectSameTree(doc: string, fast: unknown, wanted: Wanted = WHOLE): void {
  const ref = reference(doc);
  expect(ref).toBeDefined();
  const want = pruned(ref, wanted);
  expect(fast).toStrictEqual(want);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(want));
}

// Documents from the parts XML CDR writers use, in the forms the reader accepts and fast-xml-parser reads alike.
const NAMES = ['a', 'b', 'Call', 'x-y', 'n.m', '_u', 'p:a', 'q:b', 'isPrototypeOf'];
const ATTRS = ['id', 'type', 'xsi:type', 'p:id', 'xmlns', 'xmlns:xsi', 'a-b', 'c.d'];
const TEXTS = ['', ' ', 'x', ' 0763 ', 'a b', '\n\t', '&amp;', '&lt;&gt;', '&quot;&apos;', 'it\'s "q"', '>', ']]>', 'a\r\nb', 'é€'];

const spaces = fc.constantFrom(' ', '\n', '\t', '  ', '\r\n');
const text = fc.array(fc.constantFrom(...TEXTS), { maxLength: 3 }).map((t) => t.join(''));
const attribute = fc
  .tuple(fc.constantFrom(...ATTRS), text, fc.constantFrom('"', "'"), fc.constantFrom('=', ' = ', '=\n'), spaces)
  .map(([name, value, q, eq, ws]) => `${ws}${name}${eq}${q}${value.replaceAll(q, q === '"' ? '&quot;' : '&apos;')}${q}`);
/** The key an attribute gets (`xsi:type` and `type` are both `@_type`); namespace declarations keep their own. */
const key = (a: string): string => {
  const name = a.trim().split(/[\s=]/)[0] ?? '';
  return name.startsWith('xmlns') ? name : name.slice(name.indexOf(':') + 1);
};
const attributes = fc.uniqueArray(attribute, { maxLength: 3, selector: key }).map((a) => a.join(''));

const { element } = fc.letrec<{ element: string; content: string }>((tie) => ({
  element: fc
    .tuple(fc.constantFrom(...NAMES), attributes, fc.constantFrom('', ' '), fc.oneof({ depthSize: 'medium' }, fc.constant(null), tie('content')))
    .map(([name, attrs, ws, content]) => (content === null ? `<${name}${attrs}${ws}/>` : `<${name}${attrs}>${content}</${name}${ws}>`)),
  content: fc
    .array(
      fc.oneof(
        { depthSize: 'small' },
        text,
        fc.constantFrom('<!-- c -->', '<!--a-b < & -->', '<![CDATA[ x < &amp; ]]>', '<![CDATA[]]>'),
        tie('element'),
      ),
      { maxLength: 5 },
    )
    .map((parts) => parts.join('')),
}));
export const documents = fc.tuple(fc.constantFrom('', ' ', '\n'), element, fc.constantFrom('', '\n')).map((p) => p.join(''));

/** Tries over the generated names: paths below a root, some to attributes, some to whole subtrees. */
const LOCAL_NAMES = [...new Set(NAMES.map((n) => n.slice(n.indexOf(':') + 1)))];
const LOCAL_ATTRS = ['id', 'type', 'a-b', 'c.d'];
const path = fc
  .tuple(
    fc.array(fc.constantFrom(...LOCAL_NAMES), { maxLength: 3 }),
    fc.option(fc.constantFrom(...LOCAL_ATTRS)),
    fc.boolean(),
  )
  .map(([names, attr, whole]) => [...names, ...(whole ? ['*'] : [])].join('/') + (attr === null ? '' : `@${attr}`));
export const tries = fc.tuple(fc.constantFrom(...LOCAL_NAMES), fc.array(path, { maxLength: 6 })).map(([root, paths]) => wantedPaths(root, paths));

/** Edits that break a document, or (rarely) leave it well-formed: applied by `mutate`. */
export const mutations = fc.array(
  fc.tuple(
    fc.nat(),
    fc.constantFrom('delete', 'insert', 'truncate', 'duplicate'),
    fc.constantFrom('<', '>', '/', '&', ';', '"', "'", '=', ' ', 'x', ':', '!', '?', '-', ']', '#', '\r', 'é'),
  ),
  { minLength: 1, maxLength: 3 },
);

export function mutate(doc: string, edits: readonly [number, string, string][]): string {
  let broken = doc;
  for (const [n, kind, ch] of edits) {
    const at = n % (broken.length + 1);
    if (kind === 'delete') broken = broken.slice(0, at) + broken.slice(at + 1);
    else if (kind === 'insert') broken = broken.slice(0, at) + ch + broken.slice(at);
    else if (kind === 'truncate') broken = broken.slice(0, at);
    else broken = broken.slice(0, at) + broken.slice(at, at + 1 + (n % 7)) + broken.slice(at);
  }
  return broken;
}

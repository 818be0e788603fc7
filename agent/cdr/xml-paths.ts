/**
 * The parts of a record an XML format reads, declared once: the trie by which readTree (xml-tree.ts) builds only
 * those parts and the reads of them come from the same declaration, so the two cannot drift. A path is
 * relative to the record element: `A/B` is B's text, `A/B@x` its attribute x, `@x` the record's own attribute;
 * for wantedPaths also `A/*`: all of A.
 */
import { readShaped, readShapedFields, type FieldPath, type TextBytes } from './xml-shapes.js';
import { intern, type Wanted } from './xml-tree.js';
import { attributeAt, child, textOf } from './xml.js';

/** How a format reads its record elements: the parts readTree builds, and the format's input from them. */
export interface XmlRecord<R> {
  /** The record element's name. */
  readonly element: string;
  readonly wanted: Wanted;
  /** The format's input from the record element's tree. */
  read(record: unknown): R;
  /** The same from the record text[from, to) when it is of a shape seen before (xml-shapes.ts), else undefined. */
  readShaped(text: string, source: TextBytes, from: number, to: number): R | undefined;
}

/** A format that reads the tree itself: its input is the record element's tree of the `paths` (see above). */
export function xmlRecord(element: string, paths: readonly string[]): XmlRecord<unknown> {
  const wanted = wantedPaths(element, paths);
  return {
    element,
    wanted,
    read: (record) => record,
    readShaped: (text, source, from, to) => readShaped(text, source, from, to, wanted)?.[element],
  };
}

interface Node {
  name: string;
  whole: boolean;
  children: Node[];
  attrs: { name: string; key: string }[];
}

/** The trie of `paths` below the record element `record`, from the document down. */
export function wantedPaths(record: string, paths: readonly string[]): Wanted {
  const doc: Node = { name: '', whole: false, children: [], attrs: [] };
  const root = childNode(doc, record);
  for (const path of paths) {
    const { names, attr } = parsePath(path);
    let node = root;
    for (const name of names) {
      if (name === '*') node.whole = true;
      else node = childNode(node, name);
    }
    if (attr !== undefined && !node.attrs.some((a) => a.name === attr)) {
      node.attrs.push({ name: attr, key: intern('@_' + attr) });
    }
  }
  return doc;
}

function childNode(parent: Node, name: string): Node {
  const found = parent.children.find((c) => c.name === name);
  if (found !== undefined) return found;
  const node: Node = { name, whole: false, children: [], attrs: [] };
  parent.children.push(node);
  return node;
}

function parsePath(path: string): { names: string[]; attr: string | undefined } {
  const at = path.indexOf('@');
  const elements = at < 0 ? path : path.slice(0, at);
  return { names: elements === '' ? [] : elements.split('/'), attr: at < 0 ? undefined : path.slice(at + 1) };
}

/** A text path reads '' when absent; an attribute path undefined. */
export type XmlFields<D extends Record<string, string>> = {
  [K in keyof D]: D[K] extends `${string}@${string}` ? string | undefined : string;
};

/** A format's declared fields: its input is their values, by name. */
export interface XmlRecordFields<D extends Record<string, string>> extends XmlRecord<XmlFields<D>> {
  /** The declaration: each field's path, for error messages. */
  readonly path: D;
}

/** Named fields of a record element, each a path (see the top of this file). */
export function xmlFields<const D extends Record<string, string>>(element: string, declared: D): XmlRecordFields<D> {
  const fields: FieldPath[] = Object.entries(declared).map(([key, path]) => {
    const { names, attr } = parsePath(path);
    return { key, names, attrKey: attr === undefined ? undefined : '@_' + attr };
  });
  const wanted = wantedPaths(element, Object.values(declared));
  return {
    element,
    path: declared,
    wanted,
    read(node) {
      const out: Record<string, string | undefined> = {};
      for (const f of fields) {
        let at = node;
        for (const name of f.names) at = child(at, name);
        out[f.key] = f.attrKey === undefined ? textOf(at) : attributeAt(at, f.attrKey);
      }
      return out as XmlFields<D>;
    },
    readShaped: (text, source, from, to) => readShapedFields(text, source, from, to, wanted, fields) as XmlFields<D> | undefined,
  };
}

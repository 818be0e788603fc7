/**
 * The parts of a record an XML format reads, declared once: the trie by which readTree (xml-tree.ts) builds only
 * those parts and the reads of them come from the same declaration, so the two cannot drift. A path is
 * relative to the record element: `A/B` is B's text, `A/B@x` its attribute x, `@x` the record's own attribute;
 * for wantedPaths also `A/*`: all of A.
 */
import { intern, type Wanted } from './xml-tree.js';
import { attributeAt, child, textOf } from './xml.js';

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

export interface XmlRecordFields<D extends Record<string, string>> {
  /** The declaration: each field's path, for error messages. */
  path: D;
  /** What readTree builds of a document of `record` elements. */
  wanted: Wanted;
  /** Every declared field of a record element's tree. */
  read(record: unknown): XmlFields<D>;
}

/** Named fields of a record element, each a path (see the top of this file). */
export function xmlFields<const D extends Record<string, string>>(record: string, declared: D): XmlRecordFields<D> {
  const fields = Object.entries(declared).map(([key, path]) => {
    const { names, attr } = parsePath(path);
    return { key, names, attrKey: attr === undefined ? undefined : '@_' + attr };
  });
  return {
    path: declared,
    wanted: wantedPaths(record, Object.values(declared)),
    read(node) {
      const out: Record<string, string | undefined> = {};
      for (const f of fields) {
        let at = node;
        for (const name of f.names) at = child(at, name);
        out[f.key] = f.attrKey === undefined ? textOf(at) : attributeAt(at, f.attrKey);
      }
      return out as XmlFields<D>;
    },
  };
}


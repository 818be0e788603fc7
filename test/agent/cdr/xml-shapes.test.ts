import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadworksXml, broadworksXmlFields } from '../../../agent/cdr/broadworks-xml.js';
import type { CdrContext } from '../../../agent/cdr/format.js';
import { metaswitch, metaswitchFields } from '../../../agent/cdr/metaswitch.js';
import { wantedPaths, xmlFields, type XmlRecordFields } from '../../../agent/cdr/xml-paths.js';
import { readShaped, textBytes } from '../../../agent/cdr/xml-shapes.js';
import { readTree, type Wanted } from '../../../agent/cdr/xml-tree.js';
import { elements, parseXml, type XmlNode } from '../../../agent/cdr/xml.js';
import { documents, expectSameTree, mutate, mutations, reference, tries } from './xml-gen.js';

/** What parseXml does with a record of bytes one per character: read it, and learn its shape. */
function teach(doc: string, wanted: Wanted): void {
  parseXml(doc, 1, 0, doc.length, wanted, true);
}

function shaped(doc: string, wanted: Wanted): XmlNode | undefined {
  return readShaped(doc, textBytes(Buffer.from(doc, 'latin1')), 0, doc.length, wanted);
}

function shapedFields(doc: string, fields: XmlRecordFields<Record<string, string>>): Record<string, string | undefined> | undefined {
  return fields.readShaped(doc, textBytes(Buffer.from(doc, 'latin1')), 0, doc.length);
}

const fixture = (file: string) => readFileSync(new URL(`../../fixtures/cdr/${file}`, import.meta.url), 'latin1');

/** Every text content of a leaf and attribute value of `doc` replaced, in turn, by one of `values`. */
function revalue(doc: string, values: readonly string[]): string {
  let k = 0;
  const next = () => values[k++ % values.length] as string;
  return doc
    .replace(/(<[A-Za-z_][^<>]*[^<>/]>|<[A-Za-z_]>)[^<]*<\//g, (_, tag: string) => `${tag}${next()}</`)
    .replace(/=(\s*)"[^"<]*"/g, (_, ws: string) => `=${ws}"${next().replaceAll('"', '&quot;')}"`)
    .replace(/=(\s*)'[^'<]*'/g, (_, ws: string) => `=${ws}'${next().replaceAll("'", '&apos;')}'`);
}

const VALUES = ['', ' ', 'x', ' 0763 ', '+13125550117', 'a b', '\u00a0nbsp\u00a0', 'l1\r\nl2', '>', 'é', 'a very long value of forty characters!!'];

describe('record shapes', () => {
  it.each([
    ['metaswitch/cfs-billing-0000169.xml', 'Call', metaswitchFields],
    ['broadworks-xml/BW-CDR-20260101000000-2-SP1.xml', 'cdrData', broadworksXmlFields],
  ])('%s: a record of a learned shape reads as readTree reads it, tree and fields, its values changed', (file, element, fields) => {
    const text = fixture(file);
    const wanted = wantedPaths(element, Object.values(fields.path));
    const own = xmlFields(element, fields.path);
    // The fixtures' broken records (a cut one) are readTree's and fast-xml-parser's to refuse.
    const records = elements(text, element).slices.map((s) => s.text).filter((r) => reference(r) !== undefined);
    expect(records.length).toBeGreaterThan(1);
    // Nothing learned yet for this trie.
    expect(shaped(records[0] as string, wanted)).toBeUndefined();
    for (const record of records) {
      teach(record, wanted);
      teach(record, own.wanted);
      // Read by its shape, not by readTree: the same tree, the same fields.
      expect(shaped(record, wanted)).toStrictEqual(readTree(record, 0, record.length, wanted));
      expect(shapedFields(record, own)).toStrictEqual(own.read((readTree(record) as XmlNode)[element]));
      for (let shift = 0; shift < VALUES.length; shift++) {
        const variant = revalue(record, [...VALUES.slice(shift), ...VALUES.slice(0, shift)]);
        const tree = shaped(variant, wanted);
        expect(tree).toBeDefined();
        expectSameTree(variant, tree, wanted);
        expect(shapedFields(variant, own)).toStrictEqual(own.read((reference(variant) as XmlNode)[element]));
      }
    }
  });

  it.each([
    ['an unknown entity', '<r><a k="1">x &nbsp; y</a></r>'],
    ['a bare ampersand', '<r><a k="1">x & y</a></r>'],
    ['a numeric reference', '<r><a k="&#65;">x</a></r>'],
    ['an entity cut by the end of its value', '<r><a k="&amp">x</a></r>'],
    ["'<' in an attribute value", '<r><a k="<">x</a></r>'],
    ['an element more', '<r><a k="1">x</a><a k="2">y</a></r>'],
    ['an element less', '<r></r>'],
    ['an attribute more', '<r><a k="1" m="2">x</a></r>'],
    ['other indentation', '<r>\n<a k="1">x</a></r>'],
    ['a child where there was text', '<r><a k="1"><b/></a></r>'],
    ['a comment', '<r><a k="1">x<!-- c --></a></r>'],
    ['text after the record', '<r><a k="1">x</a></r>x'],
    ['a cut record', '<r><a k="1">x</a>'],
    ['a mismatched end tag', '<r><a k="1">x</b></r>'],
  ])('leaves a record with %s to readTree', (_, doc) => {
    const wanted = wantedPaths('r', ['a', 'a@k']);
    teach('<r><a k="1">x</a></r>', wanted);
    expect(shaped('<r><a k="2">y</a></r>', wanted)).toStrictEqual({ r: { a: { '#text': 'y', '@_k': '2' } } });
    expect(shaped(doc, wanted)).toBeUndefined();
    // parseXml reads it all the same.
    const ref = reference(doc);
    if (ref !== undefined) expectSameTree(doc, parseXml(doc, 1, 0, doc.length, wanted, true), wanted);
  });

  it('reads the predefined entities in values, decoded as readTree decodes them', () => {
    const wanted = wantedPaths('r', ['a', 'a@k']);
    teach('<r><a k="1">x</a></r>', wanted);
    for (const doc of ['<r><a k="AT&amp;T">x &lt;&gt; y</a></r>', '<r><a k="&quot;&apos;">&amp;amp;\r\n</a></r>']) {
      const tree = shaped(doc, wanted);
      expect(tree).toBeDefined();
      expectSameTree(doc, tree, wanted);
      expect(tree).toStrictEqual(readTree(doc, 0, doc.length, wanted));
    }
  });

  it('drops a full trie that keeps missing, and learns the shapes that come now', () => {
    const wanted = wantedPaths('r', ['*']);
    const doc = (i: number) => `<r><e${i} k="${i}">${i}</e${i}></r>`;
    // Full after 1,365 shapes of three runs; the next 1,000 records go unlearned, then the trie starts over.
    for (let i = 0; i < 2500; i++) teach(doc(i), wanted);
    expect(shaped(doc(0), wanted)).toBeUndefined();
    expect(shaped(doc(2499), wanted)).toStrictEqual({ r: { e2499: { '#text': '2499', '@_k': '2499' } } });
  });

  it('builds an element as readTree does whether its value is empty or not', () => {
    const wanted = wantedPaths('r', ['a', 'a@k', 'b']);
    teach('<r><a k="1"></a><b></b></r>', wanted);
    expect(shaped('<r><a k="1">x</a><b>y</b></r>', wanted)).toStrictEqual({ r: { a: { '#text': 'x', '@_k': '1' }, b: 'y' } });
    expect(shaped('<r><a k="">  </a><b>\r\n</b></r>', wanted)).toStrictEqual({ r: { a: { '@_k': '' }, b: '' } });
    teach('<r><a k="1">x</a><b>y</b></r>', wanted);
    expect(shaped('<r><a k="1"></a><b></b></r>', wanted)).toStrictEqual({ r: { a: { '@_k': '1' }, b: '' } });
  });

  it('tells apart shapes where one starts like the other: a leaf, and the same element with children', () => {
    const wanted = wantedPaths('r', ['b/*']);
    teach('<r><b></b></r>', wanted);
    teach('<r><b><c>1</c></b></r>', wanted);
    expect(shaped('<r><b>2</b></r>', wanted)).toStrictEqual({ r: { b: '2' } });
    expect(shaped('<r><b><c>3</c></b></r>', wanted)).toStrictEqual({ r: { b: { c: '3' } } });
    expect(shaped('<r><b><d>3</d></b></r>', wanted)).toBeUndefined();
  });

  it('learns a bounded number of shapes, and reads every record right past the bound', () => {
    const wanted = wantedPaths('r', ['*']);
    const doc = (i: number) => `<r><e${i} k="${i}">${i}</e${i}></r>`;
    for (let i = 0; i < 1500; i++) teach(doc(i), wanted);
    expect(shaped(doc(0), wanted)).toStrictEqual({ r: { e0: { '#text': '0', '@_k': '0' } } });
    expect(shaped(doc(1499), wanted)).toBeUndefined();
    const late = doc(1499);
    expect(parseXml(late, 1, 0, late.length, wanted, true)).toStrictEqual({ r: { e1499: { '#text': '1499', '@_k': '1499' } } });
  });

  it('reads the fixtures to the same records with their bytes (by shape) as without', () => {
    const ctx: CdrContext = { file: 'f.xml', zone: 'UTC', options: {} };
    for (const [format, file] of [
      [metaswitch, 'metaswitch/cfs-billing-0000169.xml'],
      [broadworksXml, 'broadworks-xml/BW-CDR-20260101000000-2-SP1.xml'],
    ] as const) {
      const bytes = Buffer.from(fixture(file), 'latin1');
      const text = bytes.toString('latin1');
      const parse = format.parseDocument as NonNullable<typeof format.parseDocument>;
      const plain = parse(text, ctx, 'latin1');
      expect(plain.records.length).toBeGreaterThan(0);
      // Twice: the first read teaches the shapes, the second reads by them.
      expect(parse(text, ctx, 'latin1', bytes)).toStrictEqual(plain);
      expect(parse(text, ctx, 'latin1', bytes)).toStrictEqual(plain);
    }
  });
});

/**
 * Whether every text of `doc` is the whole content of an element or indentation: no entity, comment, CDATA or
 * text beside child elements (shapes are not learned from those). Only documents whose every '>' ends a tag.
 */
function plain(doc: string): boolean {
  if (/&|<!/.test(doc) || !doc.split('<').slice(1).every((part) => part.split('>').length === 2)) return false;
  const tokens = doc.split(/(<[^>]*>)/);
  for (let k = 2; k < tokens.length - 1; k += 2) {
    const text = tokens[k] as string;
    if (text.trim() === '') continue;
    const before = tokens[k - 1] as string;
    const after = tokens[k + 1] as string;
    if (before.startsWith('</') || before.endsWith('/>') || !after.startsWith('</')) return false;
  }
  return true;
}

/** Latin-1 only: the bytes a shape is read in are one per character. */
const latin1Documents = documents.filter((d) => !/[^\x00-\xff]/.test(d));

describe('property: records read by a learned shape against fast-xml-parser', () => {
  it('reads a learned record, its values changed, into fast-xml-parser’s tree, or leaves it to readTree', () => {
    fc.assert(
      fc.property(latin1Documents, tries, fc.array(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 5 }), (doc, wanted, values) => {
        teach(doc, wanted);
        const variant = revalue(doc, values);
        const tree = shaped(variant, wanted);
        if (tree !== undefined) expectSameTree(variant, tree, wanted);
      }),
      { numRuns: 3000 },
    );
  });

  it('never reads a broken record by a shape, and any tree it gives is fast-xml-parser’s', () => {
    fc.assert(
      fc.property(latin1Documents, mutations, tries, (doc, edits, wanted) => {
        teach(doc, wanted);
        const broken = mutate(doc, edits);
        if (/[^\x00-\xff]/.test(broken)) return;
        const tree = shaped(broken, wanted);
        if (tree !== undefined) expectSameTree(broken, tree, wanted);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads every record it learned by its shape when it has no entity, comment or CDATA', () => {
    fc.assert(
      fc.property(latin1Documents, tries, (doc, wanted) => {
        teach(doc, wanted);
        const tree = shaped(doc, wanted);
        if (tree !== undefined) expectSameTree(doc, tree, wanted);
        if (plain(doc)) expect(tree).toBeDefined();
      }),
      { numRuns: 3000 },
    );
  });
});

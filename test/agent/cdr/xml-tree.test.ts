import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { broadworksXmlFields } from '../../../agent/cdr/broadworks-xml.js';
import { freeswitchXmlRecord } from '../../../agent/cdr/freeswitch-xml.js';
import { metaswitchFields } from '../../../agent/cdr/metaswitch.js';
import { wantedPaths } from '../../../agent/cdr/xml-paths.js';
import { readTree, WHOLE, type Wanted } from '../../../agent/cdr/xml-tree.js';
import { elements, parseXml, XmlProblem, type XmlNode } from '../../../agent/cdr/xml.js';
import { documents, expectSameTree, mutate, mutations, reference, tries } from './xml-gen.js';

describe('readTree: the tree fast-xml-parser builds', () => {
  it.each([
    ['prefixes dropped, xmlns attributes left out', '<p:a xmlns="u" xmlns:xsi="v" xsi:type="T" n="1"><q:b>x</q:b></p:a>'],
    ['text beside attributes and children as #text', '<a k="v"> t1 <b/> t2 <c k=\'2\'>z</c></a>'],
    ['repeated children as an array, in order', '<a><b>1</b><c/><b>2</b><b k="3"/></a>'],
    ['empty elements as empty strings', '<a><b></b><c/><d>   </d></a>'],
    ['the predefined entities, in text and attributes', '<a k="&lt;&amp;&gt;&quot;&apos;">x &amp;lt; &quot;y&quot;</a>'],
    ['CDATA kept as written, joined to the trimmed runs', '<a> p <![CDATA[ <&amp;> ]]> q </a>'],
    ['a comment does not end a run of text', '<a> x <!-- c --> y &amp;<!-- -->lt; </a>'],
    ['CRLF and CR line ends as LF', '<a k="1\r\n2">l1\r\nl2\rl3</a>'],
    ['whitespace around = and before the end of tags', '<a k = "1"\n\tm=\'2\' ><b /></a >'],
    ['an inherited name is an ordinary child', '<a><isPrototypeOf>1</isPrototypeOf><isPrototypeOf>2</isPrototypeOf></a>'],
    ['values stay strings', '<a n="007"><b>0763</b><c>true</c></a>'],
  ])('%s', (_, doc) => {
    const fast = readTree(doc);
    expect(fast).toBeDefined();
    expectSameTree(doc, fast);
  });

  it('reads a range of a larger text in place, and nothing past its end', () => {
    const text = '<x><a>1</a><a>2<';
    expect(readTree(text, 3, 11)).toStrictEqual({ a: '1' });
    expect(readTree(text, 11, text.length)).toBeUndefined();
    expect(readTree(text, 3, 10)).toBeUndefined();
  });

  it.each([
    ['a numeric character reference', '<a>&#65;</a>'],
    ['an unknown entity', '<a>&nbsp;</a>'],
    ['a bare ampersand', '<a>a & b</a>'],
    ['a DOCTYPE', '<!DOCTYPE a><a/>'],
    ['the XML declaration', '<?xml version="1.0"?><a/>'],
    ['a processing instruction', '<a><?pi x?></a>'],
    ['a mismatched end tag', '<a><b></a></b>'],
    ['an unclosed element', '<a><b>x</a>'],
    ['a duplicate attribute', '<a k="1" k="2"/>'],
    ['two attributes for one key once prefixes go', '<a p:k="1" q:k="2"/>'],
    ['a repeated namespace declaration', '<a xmlns="u" xmlns="v"/>'],
    ['an unquoted attribute', '<a k=1/>'],
    ['an attribute without a space before it', '<a k="1"m="2"/>'],
    ["'<' in an attribute value", '<a k="<"/>'],
    ["'<' in text", '<a>1 < 2</a>'],
    ['text after the root', '<a/>x'],
    ['a second root', '<a/><b/>'],
    ['a guarded name', '<a><constructor>1</constructor></a>'],
    ['a non-ASCII name', '<a><é>1</é></a>'],
    ['a name with two prefixes', '<a:b:c/>'],
    ['deep nesting', '<a>'.repeat(70) + '</a>'.repeat(70)],
  ])('leaves %s to fast-xml-parser', (_, doc) => {
    expect(readTree(doc)).toBeUndefined();
  });
});

describe('parseXml', () => {
  it('words errors as before: the fallback names the lines of the whole file', () => {
    const problem = parseXml('<a>\n<b>\n</a>', 10);
    expect(problem).toBeInstanceOf(XmlProblem);
    expect((problem as XmlProblem).reason).toBe(
      "not well-formed XML: Expected closing tag 'b' (opened in line 11, col 1) instead of closing tag 'a'.",
    );
    expect((problem as XmlProblem).line).toBe(12);
  });

  it('reads a range of the whole text through the fallback too', () => {
    const text = '<r><a>&#65;</a><b>';
    expect(parseXml(text, 1, 3, 15)).toStrictEqual({ a: '&#65;' });
  });
});

const FORMAT_WANTED: Record<string, Wanted> = {
  Call: metaswitchFields.wanted,
  cdrData: broadworksXmlFields.wanted,
  cdr: freeswitchXmlRecord.wanted,
};

describe('the fixtures of the XML formats: the same tree by both paths', () => {
  it.each([
    ['metaswitch/cfs-billing-0000169.xml', 'Call'],
    ['broadworks-xml/BW-CDR-20260101000000-2-SP1.xml', 'cdrData'],
    ['freeswitch-xml/a-leg-inbound.cdr.xml', 'cdr'],
    ['freeswitch-xml/anonymous-pai.cdr.xml', 'cdr'],
    ['freeswitch-xml/b-leg-outbound.cdr.xml', 'cdr'],
    ['freeswitch-xml/invalid.cdr.xml', 'cdr'],
  ])('%s, whole and pruned to what the format reads', (file, element) => {
    const text = readFileSync(new URL(`../../fixtures/cdr/${file}`, import.meta.url), 'utf8');
    const wanted = FORMAT_WANTED[element] as Wanted;
    const { slices } = elements(text, element);
    expect(slices.length).toBeGreaterThan(0);
    for (const slice of slices) {
      const fast = readTree(text, slice.at, slice.at + slice.text.length);
      const part = readTree(text, slice.at, slice.at + slice.text.length, wanted);
      // Only the records fast-xml-parser refuses take the fallback, in either mode.
      expect(fast === undefined).toBe(XMLValidator.validate(slice.text) !== true);
      expect(part === undefined).toBe(fast === undefined);
      if (fast !== undefined) expectSameTree(slice.text, fast);
      if (part !== undefined) expectSameTree(slice.text, part, wanted);
    }
  });

  it.each([
    ['metaswitch/cfs-billing-0000169.xml', 'Call', metaswitchFields],
    ['broadworks-xml/BW-CDR-20260101000000-2-SP1.xml', 'cdrData', broadworksXmlFields],
  ])('%s: every declared field reads the same from the pruned tree as from the whole one', (file, element, fields) => {
    const text = readFileSync(new URL(`../../fixtures/cdr/${file}`, import.meta.url), 'utf8');
    const read = fields.read as (record: unknown) => Record<string, string | undefined>;
    for (const slice of elements(text, element).slices) {
      const part = readTree(text, slice.at, slice.end, fields.wanted);
      // A record the fast reader leaves to fast-xml-parser is read from its whole tree anyway.
      if (part === undefined) continue;
      const whole = reference(slice.text) as XmlNode;
      const values = read(part[element]);
      expect(values).toStrictEqual(read(whole[element]));
      expect(Object.values(values).some((v) => v !== undefined && v !== '')).toBe(true);
    }
  });
});

describe('wanted paths', () => {
  it('builds only the declared elements and attributes, in fast-xml-parser’s shapes', () => {
    const doc =
      '<r k="1" m="2"><a t="x" u="y">1</a><b><c>2</c><d>3</d></b><b><c/></b><e z="1"><f>4</f></e><s><t q="1">5</t></s></r>';
    const wanted = wantedPaths('r', ['@m', 'a', 'b/c', 'e@z', 's/*']);
    const tree = readTree(doc, 0, doc.length, wanted);
    expect(tree).toStrictEqual({ r: { a: '1', b: [{ c: '2' }, { c: '' }], e: { '@_z': '1' }, s: { t: { '#text': '5', '@_q': '1' } }, '@_m': '2' } });
    expectSameTree(doc, tree, wanted);
  });

  it('gives {} when not even the root is wanted, and still checks all of it', () => {
    const wanted = wantedPaths('x', ['a']);
    expect(readTree('<r><a>1</a></r>', 0, 15, wanted)).toStrictEqual({});
    expect(readTree('<r><a>1</b></r>', 0, 15, wanted)).toBeUndefined();
  });

  it.each([
    ['a mismatched end tag', '<r><z><y></z></y></r>'],
    ['an end tag that only starts like the start tag', '<r><z></zz></r>'],
    ['a duplicate attribute', '<r><z k="1" k="2"/></r>'],
    ['two attributes for one key once prefixes go', '<r><z p:k="1" q:k="2"/></r>'],
    ['a repeated namespace declaration', '<r><z xmlns:p="u" xmlns:p="v"/></r>'],
    ['a repeated attribute among many', `<r><z ${Array.from({ length: 20 }, (_, i) => `k${i}="1"`).join(' ')} k3="2"/></r>`],
    ["'<' in an attribute value", '<r><z k="<"/></r>'],
    ['an attribute without a space before it', '<r><z k="1"m="2"/></r>'],
    ['an unknown entity', '<r><z>&nbsp;</z></r>'],
    ['a numeric reference in an attribute', '<r><z k="&#65;"/></r>'],
    ['a guarded name', '<r><z><constructor/></z></r>'],
    ['an element named like a namespace declaration', '<r><z><xmlns:x>1</xmlns:x></z></r>'],
    ['an element named xmlns', '<r><z><xmlns/></z></r>'],
    ['an unclosed comment', '<r><z><!-- </z></r>'],
    ['a processing instruction', '<r><z><?pi?></z></r>'],
    ['deep nesting', '<r>' + '<z>'.repeat(70) + '</z>'.repeat(70) + '</r>'],
  ])('gives up on %s in an element it does not build, as in one it does', (_, doc) => {
    expect(readTree(doc)).toBeUndefined();
    expect(readTree(doc, 0, doc.length, wantedPaths('r', ['a']))).toBeUndefined();
  });
});

describe('property: the fast reader against fast-xml-parser', () => {
  it('reads every generated record document into fast-xml-parser’s tree', () => {
    fc.assert(
      fc.property(documents, (doc) => {
        const fast = readTree(doc);
        expect(fast).toBeDefined();
        expectSameTree(doc, fast);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads every generated record document, pruned to any wanted paths, into fast-xml-parser’s tree pruned alike', () => {
    fc.assert(
      fc.property(documents, tries, (doc, wanted) => {
        const part = readTree(doc, 0, doc.length, wanted);
        expect(part).toBeDefined();
        expectSameTree(doc, part, wanted);
      }),
      { numRuns: 3000 },
    );
  });

  it('never returns a tree for a broken document, and any tree it returns is fast-xml-parser’s', () => {
    fc.assert(
      fc.property(documents, mutations, tries, (doc, edits, wanted) => {
        const broken = mutate(doc, edits);
        const fast = readTree(broken);
        if (fast !== undefined) expectSameTree(broken, fast);
        // Pruned, it is as strict: it gives up on the same documents.
        const part = readTree(broken, 0, broken.length, wanted);
        expect(part === undefined).toBe(fast === undefined);
        if (part !== undefined) expectSameTree(broken, part, wanted);
        // parseXml gives fast-xml-parser's answer either way.
        const parsed = parseXml(broken);
        const ref = reference(broken);
        if (ref === undefined) expect(parsed).toBeInstanceOf(XmlProblem);
        else expect(parsed).toStrictEqual(ref);
      }),
      { numRuns: 5000 },
    );
  });
});

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { broadworksXmlFields } from '../../../agent/cdr/broadworks-xml.js';
import { freeswitchXmlWanted } from '../../../agent/cdr/freeswitch-xml.js';
import { metaswitchFields } from '../../../agent/cdr/metaswitch.js';
import { wantedPaths } from '../../../agent/cdr/xml-paths.js';
import { readTree, WHOLE, type Wanted } from '../../../agent/cdr/xml-tree.js';
import { elements, parseXml, XmlProblem, xmlParserOptions, type XmlNode } from '../../../agent/cdr/xml.js';

const fxp = new XMLParser(xmlParserOptions);

/** fast-xml-parser's tree of `doc`, or undefined when it refuses it. */
function reference(doc: string): unknown {
  if (XMLValidator.validate(doc) !== true) return undefined;
  try {
    return fxp.parse(doc) as unknown;
  } catch {
    return undefined;
  }
}

/** fast-xml-parser's tree of a document pruned to the wanted parts (the reference for readTree's wanted mode). */
function pruned(tree: unknown, wanted: Wanted): unknown {
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
function expectSameTree(doc: string, fast: unknown, wanted: Wanted = WHOLE): void {
  const ref = reference(doc);
  expect(ref).toBeDefined();
  const want = pruned(ref, wanted);
  expect(fast).toStrictEqual(want);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(want));
}

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
  cdr: freeswitchXmlWanted,
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
const documents = fc.tuple(fc.constantFrom('', ' ', '\n'), element, fc.constantFrom('', '\n')).map((p) => p.join(''));

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
const tries = fc.tuple(fc.constantFrom(...LOCAL_NAMES), fc.array(path, { maxLength: 6 })).map(([root, paths]) => wantedPaths(root, paths));

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
    const mutation = fc.tuple(
      fc.nat(),
      fc.constantFrom('delete', 'insert', 'truncate', 'duplicate'),
      fc.constantFrom('<', '>', '/', '&', ';', '"', "'", '=', ' ', 'x', ':', '!', '?', '-', ']', '#', '\r', 'é'),
    );
    fc.assert(
      fc.property(documents, fc.array(mutation, { minLength: 1, maxLength: 3 }), tries, (doc, mutations, wanted) => {
        let broken = doc;
        for (const [n, kind, ch] of mutations) {
          const at = n % (broken.length + 1);
          if (kind === 'delete') broken = broken.slice(0, at) + broken.slice(at + 1);
          else if (kind === 'insert') broken = broken.slice(0, at) + ch + broken.slice(at);
          else if (kind === 'truncate') broken = broken.slice(0, at);
          else broken = broken.slice(0, at) + broken.slice(at, at + 1 + (n % 7)) + broken.slice(at);
        }
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

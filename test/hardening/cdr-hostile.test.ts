/**
 * Every CDR format against hostile input (fast-check): arbitrary text and bytes, and its own fixture lines or
 * documents with bytes overwritten, inserted and cut. A format returns records or a CdrLineError, never throws
 * (the tailer would stop reading the file), and every record it returns is one the call index can key.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CallSource } from '../../proto/messages.js';
import type { CallRecord } from '../../agent/calls/record.js';
import { CdrLineError, type CdrContext, type CdrFormat } from '../../agent/cdr/format.js';
import { CDR_FORMATS } from '../../agent/cdr/formats.js';

const FIXTURES = new URL('../fixtures/cdr/', import.meta.url);
const fixtureFiles: Record<string, string[]> = {
  ribbon: ['sbc01-20251231.ACT'],
  acme: ['cdr20251231.csv'],
  'broadworks-csv': ['BW-CDR-20260101000000-2-SP1.csv'],
  'broadworks-xml': ['BW-CDR-20260101000000-2-SP1.xml'],
  metaswitch: ['cfs-billing-0000169.xml'],
  sansay: ['cdr_20251231.txt'],
  asterisk: ['Master.csv'],
  'asterisk-custom': ['Master.csv', 'epoch.csv'],
  'freeswitch-csv': ['Master.csv', 'traceback.csv'],
  'freeswitch-xml': ['a-leg-inbound.cdr.xml', 'anonymous-pai.cdr.xml', 'b-leg-outbound.cdr.xml', 'invalid.cdr.xml'],
  kamailio: ['acc_1.log', 'kamailio.log', 'missed_calls_1.log'],
  generic: ['export.csv'],
};
/** Formats whose options have no usable default (generic's column map): as their own tests configure them. */
const OPTIONS: Record<string, Record<string, unknown>> = {
  generic: { skipLines: 1, timeFormat: 'iso8601', columns: { callId: 1, time: 2, calling: 3, called: 4, trunkGroup: 5, ip: 6 } },
};

const E164 = /^\+[1-9][0-9]{6,14}$/;

function contextFor(format: CdrFormat): CdrContext {
  return { file: 'hostile.cdr', zone: 'America/Chicago', options: OPTIONS[format.name] ?? {} };
}

/** A record the call index can take: keyed by an E.164 called number at a real instant, with its format as source. */
function expectIndexable(r: CallRecord, format: CdrFormat): void {
  expect(r.called, `${format.name} called`).toMatch(E164);
  expect(Number.isFinite(r.at), `${format.name} at ${r.at}`).toBe(true);
  if (r.atAlt !== undefined) expect(Number.isFinite(r.atAlt)).toBe(true);
  expect(r.source).toBe(`cdr:${format.name}`);
  expect(CallSource.safeParse(r.source).success).toBe(true);
  expect(typeof r.calling).toBe('string');
}

function expectLineResult(result: CallRecord[] | CdrLineError, format: CdrFormat, lineNo: number): void {
  if (result instanceof CdrLineError) {
    expect([result.file, result.line]).toEqual(['hostile.cdr', lineNo]);
    expect(result.reason.length).toBeGreaterThan(0);
    expect(result.text.length).toBeLessThanOrEqual(201);
    return;
  }
  for (const r of result) expectIndexable(r, format);
}

/** Bytes overwritten with separators, quotes and high bytes, inserted, and the text cut. */
const edits = (length: number) =>
  fc.record({
    writes: fc.array(fc.tuple(fc.nat(Math.max(length - 1, 0)), fc.constantFrom(0, 9, 10, 13, 32, 34, 44, 59, 60, 62, 124, 38, 92, 0xff, 0xc3, 48, 57)), { maxLength: 6 }),
    insert: fc.option(fc.tuple(fc.nat(length), fc.constantFrom('"', ',', ';', '|', '<', '</', '&amp;', '&#0;', '<![CDATA[', '\\', '99999999999999999999', '-1', '2025-02-30', '\u0000'))),
    cut: fc.option(fc.nat(length)),
  });

function mutate(text: Buffer, e: { writes: [number, number][]; insert: [number, string] | null; cut: number | null }): Buffer {
  let buf = Buffer.from(text);
  for (const [at, byte] of e.writes) if (buf.length) buf[Math.min(at, buf.length - 1)] = byte;
  if (e.insert) buf = Buffer.concat([buf.subarray(0, e.insert[0]), Buffer.from(e.insert[1], 'utf8'), buf.subarray(e.insert[0])]);
  if (e.cut !== null) buf = buf.subarray(0, e.cut);
  return buf;
}

const lineFormats = [...CDR_FORMATS.values()].filter((f) => f.parseLine);
const documentFormats = [...CDR_FORMATS.values()].filter((f) => f.parseDocument);

describe('CDR line formats against hostile lines', () => {
  it.each(lineFormats.map((f) => [f.name, f] as const))('%s never throws on arbitrary text or bytes', (_name, format) => {
    const ctx = contextFor(format);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }), fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b))), fc.nat(1_000_000), (line, lineNo) => {
        expectLineResult(format.parseLine!(line, lineNo, ctx), format, lineNo);
      }),
      { numRuns: 400 },
    );
  });

  it.each(lineFormats.map((f) => [f.name, f] as const))('%s never throws on its own fixture lines with bytes changed, and keeps records indexable', (_name, format) => {
    const ctx = contextFor(format);
    const lines = fixtureFiles[format.name]!.flatMap((file) => splitLines(readFileSync(new URL(`${format.name}/${file}`, FIXTURES))));
    expect(lines.length).toBeGreaterThan(0);
    // Unmutated, the fixture yields records: the mutations start from lines the format reads.
    const clean = lines.flatMap((l, i) => {
      const r = format.parseLine!(l, i + 1, ctx);
      return r instanceof CdrLineError ? [] : r;
    });
    expect(clean.length, `${format.name} reads its fixture`).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.nat(lines.length - 1).chain((i) => fc.tuple(fc.constant(i), edits(lines[i]!.length))), ([i, e]) => {
        const line = mutate(lines[i]!, e);
        expectLineResult(format.parseLine!(line, i + 1, ctx), format, i + 1);
        expectLineResult(format.parseLine!(line.toString('latin1'), i + 1, ctx), format, i + 1);
      }),
      { numRuns: 600 },
    );
  });
});

describe('CDR XML formats against hostile documents', () => {
  it.each(documentFormats.map((f) => [f.name, f] as const))('%s never throws on its own documents with bytes changed, arbitrary text, or entity expansion', (_name, format) => {
    const ctx = contextFor(format);
    const docs = fixtureFiles[format.name]!.map((file) => readFileSync(new URL(`${format.name}/${file}`, FIXTURES)));
    const check = (text: string) => {
      const { records, errors } = format.parseDocument!(text, ctx);
      for (const r of records) expectIndexable(r, format);
      for (const e of errors) {
        expect(e).toBeInstanceOf(CdrLineError);
        expect(e.file).toBe('hostile.cdr');
      }
    };
    fc.assert(
      fc.property(fc.nat(docs.length - 1).chain((i) => fc.tuple(fc.constant(i), edits(docs[i]!.length))), ([i, e]) => check(mutate(docs[i]!, e).toString('utf8'))),
      { numRuns: 300 },
    );
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => check(text)), { numRuns: 200 });
    // A billion-laughs style entity and a deeply nested tree: refused or read, within the test's time.
    check(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "${'y'.repeat(1000)}"><!ENTITY x2 "&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;">]><a>${'&x2;'.repeat(1000)}</a>`);
  });

  it.each(documentFormats.map((f) => [f.name, f] as const))('%s refuses a record nested deeper than the XML parser allows as a line error, not an exception', (_name, format) => {
    const nested = `${'<a>'.repeat(20_000)}x${'</a>'.repeat(20_000)}`;
    const element = format.recordElement;
    const text = element ? `<root>\n<${element}>${nested}</${element}>\n</root>` : nested;
    const { records, errors } = format.parseDocument!(text, contextFor(format));
    expect(records).toEqual([]);
    expect(errors.map((e) => [e.file, e.line, e.reason.slice(0, 15)])).toEqual([['hostile.cdr', element ? 2 : 1, 'unreadable XML:']]);
  });
});

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl;
    if (end > start) lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

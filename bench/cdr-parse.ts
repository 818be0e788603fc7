/**
 * CDR parse throughput per format, one process, no store: `npx tsx bench/cdr-parse.ts [seconds-per-format]`.
 * Input: the record lines of the test fixtures (test/fixtures/cdr), repeated; XML formats get a document of many
 * copies of their record elements (FreeSWITCH: one call per document). The budget (DESIGN §7) is 100,000 records/s parse + index per agent process.
 * Rates are per second of this process's CPU time (process.cpuUsage), so other load on the machine does not
 * shrink them; the wall-clock rate is printed beside it.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CdrLineError, type CdrContext, type CdrFormat } from '../agent/cdr/format.js';
import { cdrFormat } from '../agent/cdr/formats.js';
import { elements } from '../agent/cdr/xml.js';

const FIXTURES = new URL('../test/fixtures/cdr/', import.meta.url);
const seconds = Number(process.argv[2] ?? 1);

interface Case {
  format: string;
  file: string;
  zone: string;
  options: Record<string, unknown>;
  /** XML: the element to repeat into one large document. */
  element?: string;
}

const CASES: Case[] = [
  { format: 'ribbon', file: 'ribbon/sbc01-20251231.ACT', zone: 'America/New_York', options: { nodeZones: { CST: 'America/Chicago' } } },
  { format: 'acme', file: 'acme/cdr20251231.csv', zone: 'America/Chicago', options: { zones: { CST: '-06:00', CDT: '-05:00', CT: 'America/Chicago' } } },
  { format: 'broadworks-csv', file: 'broadworks-csv/BW-CDR-20260101000000-2-SP1.csv', zone: 'UTC', options: {} },
  { format: 'sansay', file: 'sansay/cdr_20251231.txt', zone: 'UTC', options: {} },
  {
    format: 'asterisk',
    file: 'asterisk/Master.csv',
    zone: 'America/Chicago',
    options: { loguniqueid: true, loguserfield: true, newcdrcolumns: true, userfieldIsPeerIp: true },
  },
  { format: 'asterisk-custom', file: 'asterisk-custom/Master.csv', zone: 'America/Chicago', options: {} },
  { format: 'freeswitch-csv', file: 'freeswitch-csv/Master.csv', zone: 'America/Chicago', options: {} },
  { format: 'kamailio', file: 'kamailio/kamailio.log', zone: 'UTC', options: {} },
  {
    format: 'generic',
    file: 'generic/export.csv',
    zone: 'UTC',
    options: { timeFormat: 'iso8601', columns: { callId: 1, time: 2, calling: 3, called: 4, trunkGroup: 5, ip: 6 } },
  },
  { format: 'metaswitch', file: 'metaswitch/cfs-billing-0000169.xml', zone: 'UTC', options: {}, element: 'Call' },
  { format: 'broadworks-xml', file: 'broadworks-xml/BW-CDR-20260101000000-2-SP1.xml', zone: 'UTC', options: {}, element: 'cdrData' },
  { format: 'freeswitch-xml', file: 'freeswitch-xml/a-leg-inbound.cdr.xml', zone: 'UTC', options: {} },
];

function format(name: string): CdrFormat {
  const f = cdrFormat(name);
  if (f === undefined) throw new Error(`no format ${name}`);
  return f;
}

/** Lines of the fixture that yield a record: the benchmark measures the path real records take. */
function recordLines(f: CdrFormat, c: Case, ctx: CdrContext): Buffer[] {
  const bytes = readFileSync(new URL(c.file, FIXTURES));
  const lines: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl;
    const line = bytes.subarray(start, end);
    const r = f.parseLine?.(line, 2, ctx);
    if (r !== undefined && !(r instanceof CdrLineError) && r.length > 0) lines.push(line);
    start = end + 1;
  }
  return lines;
}

interface Result {
  records: number;
  /** Records per CPU second. */
  perCpuSecond: number;
  perWallSecond: number;
  bytesPerLine: number;
}

/** Runs `step` (returning records made) for about `seconds` of wall time. */
function measure(step: () => number, bytesPerLine: number): Result {
  for (let i = 0; i < 200; i++) step(); // warm up the JIT
  let records = 0;
  const deadline = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  do for (let i = 0; i < 64; i++) records += step();
  while (performance.now() < deadline);
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  return { records, perCpuSecond: records / cpu, perWallSecond: records / wall, bytesPerLine };
}

function benchLines(f: CdrFormat, c: Case): Result {
  const ctx: CdrContext = { file: c.file, zone: c.zone, options: c.options };
  const lines = recordLines(f, c, ctx);
  const parse = f.parseLine;
  if (parse === undefined || lines.length === 0) throw new Error(`${c.format}: nothing to parse`);
  let i = 0;
  const step = (): number => {
    const r = parse(lines[i % lines.length] as Buffer, ++i, ctx);
    return r instanceof CdrLineError ? 0 : r.length;
  };
  return measure(step, Math.round(lines.reduce((n, l) => n + l.length, 0) / lines.length));
}

/**
 * XML: a document of many copies of the fixture's record elements that yield a record — as for the line formats,
 * the path real records take (the fixtures' deliberately broken elements go through fast-xml-parser's validator
 * for its error wording: test/agent/cdr/). A format framed per document (FreeSWITCH) parses the fixture whole.
 * Given the bytes, as the tailer gives them, records are read by their shapes (agent/cdr/xml-shapes.ts); without,
 * by xml-tree.ts's readTree.
 */
function benchDocument(f: CdrFormat, c: Case, withBytes: boolean): Result {
  const text = readFileSync(new URL(c.file, FIXTURES), 'utf8');
  const ctx: CdrContext = { file: c.file, zone: c.zone, options: c.options };
  const parse = f.parseDocument;
  if (parse === undefined) throw new Error(`${c.format}: not a document format`);
  const records = c.element === undefined ? [text] : elements(text, c.element).slices.map((s) => s.text).filter((e) => parse(e, ctx).records.length > 0);
  if (records.length === 0) throw new Error(`${c.format}: nothing to parse`);
  const doc = c.element === undefined ? text : `<root>\n${records.join('\n').repeat(50)}\n</root>`;
  const bytesPerRecord = Buffer.byteLength(records.join(''), 'utf8') / records.length;
  const bytes = withBytes ? Buffer.from(doc, 'utf8') : undefined;
  return measure(() => parse(doc, ctx, 'utf8', bytes).records.length, Math.round(bytesPerRecord));
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(10);
console.log(`node ${process.version}, ${seconds}s per format`);
console.log('format           records/cpu-s  records/wall-s  avg record bytes');
const row = (name: string, r: Result) => console.log(`${name.padEnd(16)} ${n(r.perCpuSecond)}     ${n(r.perWallSecond)}      ${r.bytesPerLine}`);
for (const c of CASES) {
  const f = format(c.format);
  if (f.framing === 'line') row(c.format, benchLines(f, c));
  else {
    row(c.format, benchDocument(f, c, true));
    row(`  by readTree`, benchDocument(f, c, false));
  }
}

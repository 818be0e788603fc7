import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CallIndexInputError } from '../../../agent/calls/errors.js';
import type { CallRecord } from '../../../agent/calls/record.js';
import { StoreUnavailableError, type CallIndex } from '../../../agent/calls/store.js';
import { Batcher } from '../../../agent/cdr/batcher.js';
import { fileChunks } from '../../../agent/cdr/chunks.js';
import type { FileCheckpoint } from '../../../agent/cdr/checkpoints.js';
import { CdrLineError } from '../../../agent/cdr/format.js';
import { cdrFormat } from '../../../agent/cdr/formats.js';
import { Followed, type Mark } from '../../../agent/cdr/followed.js';
import { fileMatcher } from '../../../agent/cdr/glob.js';
import { headOf } from '../../../agent/cdr/identity.js';
import { resumePoint } from '../../../agent/cdr/resume.js';
import { parseSegment, unitEnd } from '../../../agent/cdr/segment.js';
import { UnitReader } from '../../../agent/cdr/unit-reader.js';
import { atOf, called, cdrLine, cdrLines, GENERIC_OPTIONS, METASWITCH_HEADER, metaswitchCall, sleep } from './tailer-harness.js';

const generic = cdrFormat('generic')!;
const metaswitch = cdrFormat('metaswitch')!;
const ctx = { file: '/cdr/a.csv', zone: 'UTC', options: GENERIC_OPTIONS };

describe('file patterns', () => {
  it.each([
    ['*.ACT', 'sbc01-20251231.ACT', true],
    ['*.ACT', 'sbc01-20251231.ACT.gz', true],
    ['*.ACT', 'sbc01.act', false],
    ['*.ACT', '.sbc01.ACT', false],
    ['*', '.partial', false],
    ['.*', '.partial', true],
    ['acc_*.log', 'acc_2025.log', true],
    ['acc_*.log', 'missed_calls_2025.log', false],
    ['cdr[0-9]*.csv', 'cdr7_a.csv', true],
    ['cdr[0-9]*.csv', 'cdrx.csv', false],
    ['[!m]*.log', 'missed.log', false],
    ['cdr?.csv', 'cdr1.csv', true],
    ['cdr+(1).log', 'cdr+(1).log', true],
    ['cdr+(1).log', 'cdrr(1).log', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(fileMatcher(pattern)(name)).toBe(expected);
  });
});

describe('where reading a newly seen file starts', () => {
  const content = Buffer.from(cdrLines(0, 40));
  const checkpoint = (key: string, bytes: Buffer, offset: number): FileCheckpoint => ({ key, name: key, head: headOf(bytes), offset, line: 9 });

  it('goes on at its own checkpoint while its first bytes are the ones read', () => {
    const own = checkpoint('1:5', content.subarray(0, 500), 500);
    expect(resumePoint({ key: '1:5', start: content.subarray(0, 1024), size: content.length }, own, [own])).toEqual({ offset: 500, line: 9 });
  });

  it('starts over when its inode holds other content, or less than was read', () => {
    const own = checkpoint('1:5', content.subarray(0, 1024), 2000);
    const other = Buffer.from(cdrLines(100, 40));
    expect(resumePoint({ key: '1:5', start: other.subarray(0, 1024), size: other.length }, own, [own])).toEqual({ offset: 0, line: 1 });
    expect(resumePoint({ key: '1:5', start: content.subarray(0, 1024), size: 1500 }, own, [own])).toEqual({ offset: 0, line: 1 });
  });

  it('goes on where the furthest read of the same content stopped, for a copy under another inode', () => {
    const older = checkpoint('1:5', content.subarray(0, 1024), 1200);
    const further = checkpoint('1:6', content.subarray(0, 1024), 2000);
    const elsewhere = checkpoint('1:7', Buffer.from(cdrLines(100, 40)).subarray(0, 1024), 3000);
    const r = resumePoint({ key: '2:9', start: content.subarray(0, 1024) }, undefined, [older, further, elsewhere]);
    expect(r).toEqual({ offset: 2000, line: 9, copyOf: further });
  });

  it('takes no empty file, and no unread one, for the original of a copy', () => {
    const empty = checkpoint('1:5', Buffer.alloc(0), 0);
    const unread = checkpoint('1:6', content.subarray(0, 100), 0);
    expect(resumePoint({ key: '2:9', start: content.subarray(0, 1024), size: content.length }, undefined, [empty, unread])).toEqual({ offset: 0, line: 1 });
  });
});

describe('units and segments', () => {
  it('finds where the last (or first) complete line ends, and nothing in a half line', () => {
    const bytes = Buffer.from('a\nbb\ncc');
    expect(unitEnd(generic, bytes)).toBe(5);
    expect(unitEnd(generic, bytes, 'first')).toBe(2);
    expect(unitEnd(generic, Buffer.from('half'))).toBe(0);
  });

  it('finds where the last complete record element ends in an XML file of records', () => {
    const text = '<File><CDRs><Call a="1"><X/></Call>\n<Call a="2"><X/></Ca';
    expect(unitEnd(metaswitch, Buffer.from(text))).toBe(text.indexOf('</Call>') + '</Call>'.length);
    expect(unitEnd(cdrFormat('freeswitch-xml')!, Buffer.from(text))).toBe(0);
  });

  it('numbers lines from the segment first line on, across CRLF ends and decoding windows', () => {
    // 2,000 lines of ~80 bytes: more than one 64 kB decoding window.
    const text = cdrLines(0, 1000).replaceAll('\n', '\r\n') + 'junk\n' + cdrLines(1000, 999);
    const segment = parseSegment(generic, ctx, Buffer.from(text), 41);
    expect(segment.records).toHaveLength(1999);
    expect(segment.records[1500]).toMatchObject({ called: called(1500), at: atOf(1500) });
    expect(segment.lines[1500]).toBe(41 + 1501);
    expect(segment.errors.map((e) => [e.line, e.reason])).toEqual([[1041, 'record has 1 fields, expected at least 6']]);
    expect(segment.nextLine).toBe(41 + 2000);
  });

  it('reads XML record elements across decoding windows: byte offsets of each element, lines of errors in the file', () => {
    // 1,000 elements of ~400 bytes (more than one 64 kB window), one broken, and a multi-byte name in one.
    const calls = Array.from({ length: 1000 }, (_, i) => metaswitchCall(i));
    calls[700] = (calls[700] as string).replace('</RoutingInfo>', '</Routing>');
    calls[10] = (calls[10] as string).replace('Carrier A', 'Carrièr Ä');
    const bytes = Buffer.from(METASWITCH_HEADER + calls.join(''));
    const segment = parseSegment(metaswitch, { file: '/cdr/b.xml', zone: 'UTC', options: {} }, bytes, 7);
    expect(segment.records).toHaveLength(999);
    // Each offset is where the record's element starts in the bytes, past the multi-byte characters before it.
    segment.offsets.forEach((offset) => expect(bytes.toString('utf8', offset, offset + 40)).toMatch(/^<Call seqnum="(\d+)"/));
    expect(segment.records[800]).toMatchObject({ called: called(801), at: atOf(801) });
    expect(bytes.toString('utf8', segment.offsets[800], segment.offsets[800]! + 20)).toBe('<Call seqnum="801" c');
    // The header's two lines, then one element per line: element 700 is on line 7 + 2 + 700.
    expect(segment.errors.map((e) => e.line)).toEqual([709]);
    expect(segment.errors[0]?.reason).toContain("Expected closing tag 'RoutingInfo'");
    expect(segment.nextLine).toBe(7 + 2 + 1000);
  });

  it('reads the tail of a file of XML records apart from its records without an error, but not junk', () => {
    const mctx = { file: '/cdr/c.xml', zone: 'UTC', options: {} };
    const calls = Array.from({ length: 150 }, (_, i) => metaswitchCall(i)).join('');
    const tail = '\t</CDRs>\n</File>\n';
    // The records end 6 bytes before the first 64 kB decoding window does: the tail is a window of its own.
    const padding = 65_530 - Buffer.byteLength(METASWITCH_HEADER + '<!---->\n' + calls);
    const bytes = Buffer.from(`${METASWITCH_HEADER}<!--${'x'.repeat(padding)}-->\n${calls}${tail}`);
    const segment = parseSegment(metaswitch, mctx, bytes, 1);
    expect(segment.records).toHaveLength(150);
    expect(segment.errors).toEqual([]);
    expect(parseSegment(metaswitch, mctx, Buffer.from(tail), 1).errors).toEqual([]);
    const junk = parseSegment(metaswitch, mctx, Buffer.from('\n</CDRs> not a CDR\n'), 40);
    expect(junk.errors.map((e) => [e.line, e.reason])).toEqual([[41, "not well-formed XML: Closing tag 'CDRs' has not been opened."]]);
  });

  it('reads an XML file that is not UTF-8 as ISO-8859-1: its names as written, every offset on its record', () => {
    const mctx = { file: '/cdr/d.xml', zone: 'UTC', options: {} };
    const calls = Array.from({ length: 20 }, (_, i) => metaswitchCall(i));
    calls[3] = (calls[3] as string).replace('Carrier A', 'Carri\u00e8r \u00c4');
    const bytes = Buffer.from(METASWITCH_HEADER.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>') + calls.join(''), 'latin1');
    const segment = parseSegment(metaswitch, mctx, bytes, 1);
    expect(segment.records).toHaveLength(20);
    expect(segment.records[3]?.ingress).toEqual({ trunkGroup: 'Carri\u00e8r \u00c4' });
    segment.offsets.forEach((offset, i) => {
      const start = `<Call seqnum="${i}" `;
      expect(bytes.toString('latin1', offset, offset + start.length)).toBe(start);
    });
  });
});

describe('reading a file in chunks', () => {
  it('reads a range of a file in chunks, each whole until the next is asked for, reading ahead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-chunks-'));
    const file = join(dir, 'a.cdr');
    const content = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    writeFileSync(file, content);
    const handle = await open(file, 'r');
    try {
      await fc.assert(
        fc.asyncProperty(fc.nat(content.length), fc.nat(content.length), fc.integer({ min: 1000, max: 40_000 }), async (a, b, chunkBytes) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          let at = from;
          for await (const chunk of fileChunks(handle, from, to, chunkBytes)) {
            expect(chunk.length).toBeLessThanOrEqual(chunkBytes);
            // Still whole once the next chunk's read, started ahead, has landed.
            await sleep(1);
            expect(chunk.equals(content.subarray(at, at + chunk.length))).toBe(true);
            at += chunk.length;
          }
          expect(at).toBe(to);
        }),
        { numRuns: 30 },
      );
      // A file shorter than its stat said (truncated since): what is there, then the end.
      const read: Buffer[] = [];
      for await (const chunk of fileChunks(handle, 90_000, 150_000, 4096)) read.push(Buffer.from(chunk));
      expect(Buffer.concat(read)).toEqual(content.subarray(90_000));
      // Left early: the read ahead is awaited, the handle closes cleanly.
      for await (const chunk of fileChunks(handle, 0, content.length, 1000)) if (chunk.length > 0) break;
    } finally {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A file handle over `content` whose reads return at most `cap` bytes, and fail from the `failAt`-th read on. */
  const fakeHandle = (content: Buffer, cap: number, failAt = Infinity) => {
    let reads = 0;
    return {
      read: async (buffer: Buffer, offset: number, length: number, position: number) => {
        if (++reads >= failAt) throw new Error('EIO: i/o error, read');
        const n = content.copy(buffer, offset, position, position + Math.min(length, cap));
        return { bytesRead: n, buffer };
      },
    } as unknown as FileHandle;
  };

  it('goes on after a short read, as filesystems over a network return them', async () => {
    const content = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const read: Buffer[] = [];
    for await (const chunk of fileChunks(fakeHandle(content, 700), 0, content.length, 1024)) read.push(Buffer.from(chunk));
    expect(Buffer.concat(read)).toEqual(content);
  });

  it('hands a failed read ahead to the reader when it asks, not to the process while it waits', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const chunks = fileChunks(fakeHandle(Buffer.alloc(10_000, 1), 10_000, 2), 0, 10_000, 1000);
      expect((await chunks.next()).value).toHaveLength(1000);
      // The reader waits (the index is down) while the read ahead fails.
      await sleep(20);
      expect(unhandled).toEqual([]);
      await expect(chunks.next()).rejects.toThrow('EIO');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  const collect = async (text: string, cuts: number[], finish: boolean, format = generic) => {
    const pushed: CallRecord[] = [];
    let mark: Mark | undefined;
    const batcher = {
      push: (_f: Followed, _file: string, records: CallRecord[], _lines: number[], m: Mark) => {
        pushed.push(...records);
        mark = m;
      },
      room: async () => {},
    };
    const errors: CdrLineError[] = [];
    const reader = new UnitReader({
      format,
      zone: 'UTC',
      options: format === generic ? GENERIC_OPTIONS : {},
      batcher: batcher as unknown as Batcher<Followed, Mark>,
      metrics: undefined,
      maxUnitBytes: 4096,
      reject: (_f, e) => errors.push(e),
      path: () => '/cdr/a.csv',
      stopped: new AbortController().signal,
    });
    const bytes = Buffer.from(text);
    const points = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort((a, b) => a - b);
    // One buffer reused for every chunk, as fileChunks does: the reader must copy what it keeps.
    const shared = Buffer.alloc(bytes.length);
    async function* chunks() {
      for (let i = 1; i < points.length; i++) {
        const chunk = shared.subarray(0, (points[i] as number) - (points[i - 1] as number));
        bytes.copy(chunk, 0, points[i - 1], points[i]);
        yield chunk;
        chunk.fill(0x3f);
      }
    }
    const f = new Followed('1:1', 'a.csv', false);
    await reader.read(f, chunks(), finish);
    return { records: pushed, errors: errors.map((e) => `${e.line}: ${e.reason}`), position: f.read, mark };
  };

  it('reads the same records wherever the chunks are cut, and stops before a half line', async () => {
    const text = cdrLines(0, 30) + 'bad line\n' + cdrLines(30, 10) + cdrLine(40).slice(0, 20);
    const whole = await collect(text, [], false);
    expect(whole.records).toHaveLength(40);
    expect(whole.position).toEqual({ offset: text.length - 20, line: 42 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 12 }), async (cuts) => {
        expect(await collect(text, cuts, false)).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('reads the same record elements of an XML file wherever the chunks are cut, even inside an end tag', async () => {
    const text = METASWITCH_HEADER + cdrLines(0, 6, metaswitchCall) + metaswitchCall(6).slice(0, 90);
    const whole = await collect(text, [], false, metaswitch);
    expect(whole.records.map((r) => r.called)).toEqual([0, 1, 2, 3, 4, 5].map(called));
    // After the sixth end tag: still on the sixth call's line, the 8th of the file.
    expect(whole.position).toEqual({ offset: text.lastIndexOf('</Call>') + '</Call>'.length, line: 8 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 12 }), async (cuts) => {
        const read = await collect(text, cuts, false, metaswitch);
        expect(read.records).toEqual(whole.records);
        expect(read.position).toEqual(whole.position);
      }),
      { numRuns: 60 },
    );
  });

  it('reads a finished file to its end, the last line without its end of line too', async () => {
    const text = cdrLines(0, 5) + cdrLine(5).trimEnd();
    const read = await collect(text, [100, 200], true);
    expect(read.records.map((r) => r.called)).toEqual([0, 1, 2, 3, 4, 5].map(called));
    expect(read.position).toEqual({ offset: text.length, line: 7 });
  });

  it('holds no more than the limit of a line that has no end yet: skips it as a line error and reads on', async () => {
    const text = cdrLine(0) + 'x'.repeat(10_000) + '\n' + cdrLine(1);
    const cutsInside = [cdrLine(0).length + 3000, cdrLine(0).length + 6000];
    expect((await collect(text, cutsInside, false)).errors).toEqual(['2: longer than 4096 bytes without an end: skipped']);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 8 }), async (cuts) => {
        // A long line that arrives whole in one chunk is parsed like any other (and refused by the format).
        const read = await collect(text, cuts, false);
        expect(read.records.map((r) => r.called)).toEqual([called(0), called(1)]);
        expect(read.errors.map((e) => e.split(':')[0])).toEqual(['2']);
        expect(read.position).toEqual({ offset: text.length, line: 4 });
      }),
      { numRuns: 40 },
    );
  });
});

describe('batching into the call index', () => {
  const record = (i: number): CallRecord => ({ at: atOf(i), calling: '+13125550117', called: called(i), source: 'cdr:generic', ingress: { trunkGroup: 'TG' } });

  class ScriptedIndex implements CallIndex {
    batches: CallRecord[][] = [];
    failures = 0;
    refuse: ((records: readonly CallRecord[]) => CallIndexInputError | undefined) | undefined;
    async add(records: readonly CallRecord[]): Promise<void> {
      if (this.failures > 0) {
        this.failures--;
        throw new StoreUnavailableError('add');
      }
      const refusal = this.refuse?.(records);
      if (refusal) throw refusal;
      this.batches.push([...records]);
    }
    lookup = async () => [];
    ping = async () => true;
    close = async () => {};
  }

  const batcher = (index: CallIndex, commits: Map<string, number>[], refused: string[] = [], commitFailures = { n: 0 }) =>
    new Batcher<string, number>({
      index,
      commit: async (marks) => {
        if (commitFailures.n-- > 0) throw new StoreUnavailableError('checkpoint save');
        commits.push(new Map(marks));
      },
      maxRecords: 4,
      maxDelayMs: 10,
      backoff: { initialMs: 5, maxMs: 20 },
      log: pino({ level: 'silent' }),
      onIndexed: () => {},
      onRefused: (file, line, reason) => refused.push(`${file}:${line}: ${reason}`),
    });

  it('sends a batch once it is full or its time is up, then commits the positions it reached', async () => {
    const index = new ScriptedIndex();
    const commits: Map<string, number>[] = [];
    const b = batcher(index, commits);
    b.push('a', 'a.csv', [record(0), record(1)], [1, 2], 100);
    b.push('b', 'b.csv', [record(2), record(3)], [1, 2], 50);
    await sleep(30);
    b.push('a', 'a.csv', [record(4)], [3], 150);
    await sleep(30);
    expect(index.batches.map((batch) => batch.map((r) => r.called))).toEqual([[0, 1, 2, 3].map(called), [called(4)]]);
    expect(commits).toEqual([new Map([['a', 100], ['b', 50]]), new Map([['a', 150]])]);
    await b.close(100);
  });

  it('retries a batch while the store is down and commits only after the index took it', async () => {
    const index = new ScriptedIndex();
    index.failures = 3;
    const commits: Map<string, number>[] = [];
    const commitFailures = { n: 2 };
    const b = batcher(index, commits, [], commitFailures);
    b.push('a', 'a.csv', [record(0)], [1], 80);
    await sleep(20);
    expect(commits).toEqual([]);
    await b.close(1000);
    expect(index.batches).toHaveLength(1);
    expect(commits).toEqual([new Map([['a', 80]])]);
  });

  it('makes the reader wait while the next batch is full', async () => {
    const index = new ScriptedIndex();
    index.failures = 1_000_000;
    const b = batcher(index, []);
    b.push('a', 'a.csv', [0, 1, 2, 3].map(record), [1, 2, 3, 4], 10);
    await b.room(); // the first batch went to the store: room again
    b.push('a', 'a.csv', [4, 5, 6, 7].map(record), [5, 6, 7, 8], 20);
    let waited = true;
    void b.room().then(() => (waited = false));
    await sleep(50);
    expect(waited).toBe(true);
    await b.close(10); // gives up: nothing acknowledged, nothing committed
    expect(waited).toBe(false);
    expect(index.batches).toEqual([]);
  });

  it('leaves out a record the index refuses, reports it with its file and line, and indexes the rest', async () => {
    const index = new ScriptedIndex();
    index.refuse = (records) => {
      const i = records.findIndex((r) => r.called === called(1));
      return i < 0 ? undefined : new CallIndexInputError(`records[${i}].ingress`, 'bad ingress');
    };
    const commits: Map<string, number>[] = [];
    const refused: string[] = [];
    const b = batcher(index, commits, refused);
    b.push('a', 'a.csv', [record(0), record(1), record(2)], [7, 8, 9], 300);
    await b.close(1000);
    expect(index.batches.map((batch) => batch.map((r) => r.called))).toEqual([[called(0), called(2)]]);
    expect(refused).toEqual(['a.csv:8: records[1].ingress: bad ingress']);
    expect(commits).toEqual([new Map([['a', 300]])]);
  });
});

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DnoFileError } from '../../../agent/dno/file-error.js';
import { readFileSync } from 'node:fs';
import { ListScanner, parseListFile, readListFile, readListPart, scanListText } from '../../../agent/dno/listfile.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/dno/${name}`, import.meta.url));

describe('local DNO list file', () => {
  it('reads every form: number, CSV, quoted reason, prefix, range, comments', async () => {
    const entries = await readListFile(fixture('list-sample.csv'));
    const source = 'file:list-sample.csv';
    expect(entries).toEqual([
      { number: '+12025550100', category: 'listed', reason: 'IRS inbound-only line', source },
      { number: '+12025550101', category: 'listed', source },
      { number: '+12025550102', category: 'unassigned', reason: 'spare pool, bldg "B"', source },
      { prefix: '+1900', category: 'listed', reason: 'premium rate never originates', source },
      { range: { from: '+13015550100', to: '+13015550199' }, category: 'unassigned', reason: 'spare block', source },
      { number: '+442079460000', category: 'listed', source },
    ]);
  });

  it('lists every bad line and loads nothing', async () => {
    const err = await readListFile(fixture('list-bad.csv')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnoFileError);
    const { file, errors } = err as DnoFileError;
    expect(file).toBe(fixture('list-bad.csv'));
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6]);
    expect(errors[0]).toEqual({ line: 3, text: 'hello,listed,not a number', reason: 'not a phone number: "hello"' });
    expect(errors[1]!.reason).toBe('unknown category "subscriber" (expected listed, invalid, unallocated, unassigned)');
    expect(errors[2]!.reason).toBe('range: from and to must have equal length and from <= to');
    expect(errors[3]!.reason).toBe('prefix: must be + and 1–15 digits');
    expect((err as Error).message).toContain('4 bad line(s), nothing loaded');
    expect((err as Error).message).toContain(
      'line 5: range: from and to must have equal length and from <= to: ' +
        '"+12025550199-+12025550100,listed,range backwards"',
    );
  });

  it.each([
    ['+12025550100-+1202555019', 'range: from and to must have equal length and from <= to'],
    ['+1202*5', 'not a phone number: "+1202*5"'],
    ['anonymous', 'not a phone number: "anonymous"'],
    [`+12025550100,listed,${'x'.repeat(257)}`, 'reason: Too big: expected string to have <=256 characters'],
  ])('refuses %j', (line, reason) => {
    expect(() => parseListFile(line, 'x.csv')).toThrow(DnoFileError);
    try {
      parseListFile(line, 'x.csv');
    } catch (err) {
      expect((err as DnoFileError).errors).toEqual([{ line: 1, text: line, reason }]);
    }
  });

  it('a header only counts as the first content line', () => {
    const late = '+12025550100\nnumber,category,reason\n';
    expect(() => parseListFile(late, 'x.csv')).toThrow('line 2: not a phone number: "number"');
    expect(parseListFile('# c\r\nNumber, Category\r\n+12025550100\r\n', 'x.csv')).toEqual([
      { number: '+12025550100', category: 'listed', source: 'file:x.csv' },
    ]);
  });

  it('the message names at most 20 lines, the error keeps them all', () => {
    const text = Array.from({ length: 25 }, (_, i) => `bad${i}`).join('\n');
    const err = (() => {
      try {
        parseListFile(text, 'many.txt');
      } catch (e) {
        return e as DnoFileError;
      }
    })();
    expect(err?.errors).toHaveLength(25);
    expect(err?.message).toContain('… and 5 more');
    expect(err?.message).not.toContain('bad20');
  });

  it('an empty file is an empty list', () => {
    expect(parseListFile('', 'empty.txt')).toEqual([]);
  });
});

describe('local DNO list file, packed', () => {
  it('reads the file straight into a snapshot part that finds what the entries say', async () => {
    const part = await readListPart(fixture('list-sample.csv'));
    expect({ numbers: part.numbers, intervals: part.intervals }).toEqual({ numbers: 4, intervals: 2 });
    const best = { category: 4, width: 0, part: null, index: -1 } as Parameters<typeof part.consider>[2];
    part.consider(12025550102, 11, best);
    expect(part.match(best, '+12025550102', 12025550102)).toEqual({
      category: 'unassigned',
      entry: { number: '+12025550102', category: 'unassigned', reason: 'spare pool, bldg "B"', source: 'file:list-sample.csv' },
      rule: 'unassigned:+12025550102',
    });
  });

  it('refuses a file with bad lines, naming every one', async () => {
    const err = await readListPart(fixture('list-bad.csv')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnoFileError);
    expect((err as DnoFileError).errors.map((e) => e.line)).toEqual([3, 4, 5, 6]);
  });

  it('a text read in pieces of any size gives the same lines and line numbers as read whole', () => {
    const text = `${readFileSync(fixture('list-bad.csv'), 'utf8')}\r\n+12025550199\r\nnot-a-number`;
    const seen = (pieces: string[]) => {
      const lines: string[] = [];
      const scanner = new ListScanner((field, reason, _given, line) => lines.push(`${line} ${field} ${reason}`));
      for (const piece of pieces) scanner.push(piece);
      return { lines, problems: scanner.end() };
    };
    const whole: string[] = [];
    const problems = scanListText(text, (field, reason, _given, line) => whole.push(`${line} ${field} ${reason}`));
    for (const size of [1, 2, 3, 7, 64]) {
      const pieces = Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));
      expect(seen(pieces)).toEqual({ lines: whole, problems });
    }
    expect(problems.at(-1)?.text).toBe('not-a-number');
  });
});

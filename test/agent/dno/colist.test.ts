import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCoList, readCoList } from '../../../agent/dno/colist.js';
import { DnoFileError } from '../../../agent/dno/file-error.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/dno/${name}`, import.meta.url));

describe('NANPA CO-code report', () => {
  it('loads the assigned codes (Use AS) and the NPAs it covers', async () => {
    const co = await readCoList(fixture('allutlzd-sample.txt'));
    expect(co.size).toBe(5);
    expect(co.isUnallocated(202, 200)).toBe(false);
    expect(co.isUnallocated(202, 555)).toBe(false);
    expect(co.isUnallocated(301, 235)).toBe(false);
    expect(co.isUnallocated(301, 555)).toBe(false);
    // Listed with a use other than AS, and not listed at all: both unallocated in a covered NPA.
    expect(co.isUnallocated(202, 556)).toBe(true);
    expect(co.isUnallocated(202, 999)).toBe(true);
  });

  it('an NPA absent from the report is unknown, never unallocated', async () => {
    const co = await readCoList(fixture('allutlzd-sample.txt'));
    expect(co.isUnallocated(416, 555)).toBe(false);
    expect(co.isUnallocated(800, 555)).toBe(false);
  });

  it('lists every bad line and loads nothing', async () => {
    const err = await readCoList(fixture('allutlzd-bad.txt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnoFileError);
    expect((err as DnoFileError).errors.map((e) => [e.line, e.reason])).toEqual([
      [3, 'NPA-NXX must be NXX-NXX with N = 2-9, e.g. 202-555'],
      [4, 'expected at least 7 tab-separated columns, got 1'],
      [6, 'NPA-NXX must be NXX-NXX with N = 2-9, e.g. 202-555'],
    ]);
    expect((err as Error).message).toMatch(/allutlzd-bad\.txt: 3 bad line\(s\), nothing loaded\n {2}line 3: /);
  });

  it('the header is optional', () => {
    const co = parseCoList('DC\t202-200\t9991\tX\tY\t\tAS\t\tI\n', 'inline');
    expect(co.isUnallocated(202, 200)).toBe(false);
    expect(co.isUnallocated(202, 201)).toBe(true);
  });
});

/**
 * NANPA's "all utilised CO codes" report, `allutlzd.txt` (cdr-formats.md §5): tab-separated, columns State,
 * NPA-NXX, OCN, Company, RateCenter, EffectiveDate, Use, AssignDate, Initial/Growth, one header line.
 * `Use` = `AS` marks a code assigned to a carrier; other rows still tell that the report covers their NPA.
 * Thousands-blocks are not in this report (they come from the pooling administrator's block report), so a
 * pooled code counts as assigned as a whole: conservative, it never blocks an assigned number.
 */
import { readFile } from 'node:fs/promises';
import { CoTable } from './cotable.js';
import { DnoFileError, linesOf, type LineProblem } from './file-error.js';

const COLUMNS = 7;
const NPA_NXX = 1;
const USE = 6;
const ASSIGNED = 'AS';

/** Parse the report's text into a `CoTable`, or throw `DnoFileError` listing every bad line. */
export function parseCoList(text: string, file: string): CoTable {
  const codes: number[] = [];
  const npas = new Set<number>();
  const errors: LineProblem[] = [];
  linesOf(text).forEach((line, i) => {
    if (line.trim() === '' || (i === 0 && /^state\t/i.test(line))) return;
    const cols = line.split('\t');
    if (cols.length < COLUMNS) {
      const reason = `expected at least ${COLUMNS} tab-separated columns, got ${cols.length}`;
      errors.push({ line: i + 1, text: line, reason });
      return;
    }
    const m = /^([2-9][0-9]{2})-?([2-9][0-9]{2})$/.exec(cols[NPA_NXX]!.trim());
    if (!m) {
      errors.push({ line: i + 1, text: line, reason: 'NPA-NXX must be NXX-NXX with N = 2-9, e.g. 202-555' });
      return;
    }
    const npa = Number(m[1]);
    npas.add(npa);
    if (cols[USE]!.trim().toUpperCase() === ASSIGNED) codes.push(npa * 1000 + Number(m[2]));
  });
  if (errors.length > 0) throw new DnoFileError(file, errors);
  return new CoTable(codes, npas);
}

export async function readCoList(path: string): Promise<CoTable> {
  return parseCoList(await readFile(path, 'utf8'), path);
}

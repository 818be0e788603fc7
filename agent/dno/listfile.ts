/**
 * The carrier's local DNO list (`--dno-file`): its own inbound-only DIDs, spare numbers, extra ranges.
 *
 *   # comment lines and blank lines are ignored
 *   +12025550100                              a number (any form proto/tn.ts normalises: 2025550100, tel:…)
 *   +1900*                                    a prefix: every number starting with +1900
 *   +12025550100-+12025550199                 an inclusive range (E.164, equal length)
 *   number,category,reason                    optional CSV header
 *   +12025550143,unassigned,spare DID pool     CSV: category (default listed) and a reason
 *
 * Every line is checked against the protocol's `DnoEntry` schema, so a local entry means the same as one from
 * the hub. One bad line refuses the file with every bad line listed (DnoFileError).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DnoCategory, DnoEntry, parse, MessageError } from '../../proto/messages.js';
import { normalise } from '../../proto/tn.js';
import { DnoFileError, linesOf, type LineProblem } from './file-error.js';

const DEFAULT_CATEGORY: DnoCategory = 'listed';
const HEADER = /^number\s*,\s*category\s*(,\s*reason\s*)?$/i;
const RANGE = /^(\+[0-9]+)-(\+[0-9]+)$/;

class LineError extends Error {}

/** Parse a list file's text; `file` names it in errors and in each entry's `source`. */
export function parseListFile(text: string, file: string): DnoEntry[] {
  const source = `file:${basename(file)}`.slice(0, 128);
  const entries: DnoEntry[] = [];
  const errors: LineProblem[] = [];
  let seenContent = false;
  linesOf(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const first = !seenContent;
    seenContent = true;
    if (first && HEADER.test(line)) return;
    try {
      entries.push(entryOf(line, source));
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      errors.push({ line: i + 1, text: raw, reason: err.message });
    }
  });
  if (errors.length > 0) throw new DnoFileError(file, errors);
  return entries;
}

export async function readListFile(path: string): Promise<DnoEntry[]> {
  return parseListFile(await readFile(path, 'utf8'), path);
}

function entryOf(line: string, source: string): DnoEntry {
  const [target = '', category = '', ...rest] = line.split(',');
  const reason = unquote(rest.join(',').trim());
  const entry = {
    ...targetFields(target.trim()),
    category: categoryOf(category.trim().toLowerCase()),
    ...(reason === '' ? {} : { reason }),
    source,
  };
  try {
    return parse(DnoEntry, entry);
  } catch (err) {
    if (err instanceof MessageError) throw new LineError(`${err.path || 'entry'}: ${err.reason}`);
    throw err;
  }
}

function targetFields(target: string): Pick<DnoEntry, 'number' | 'prefix' | 'range'> {
  if (target.endsWith('*')) return { prefix: target.slice(0, -1) };
  const range = RANGE.exec(target);
  if (range) return { range: { from: range[1]!, to: range[2]! } };
  const tn = normalise(target);
  if (tn.e164 === null) throw new LineError(`not a phone number: ${JSON.stringify(target)}`);
  return { number: tn.e164 };
}

function categoryOf(text: string): DnoCategory {
  if (text === '') return DEFAULT_CATEGORY;
  const r = DnoCategory.safeParse(text);
  if (r.success) return r.data;
  throw new LineError(`unknown category ${JSON.stringify(text)} (expected ${DnoCategory.options.join(', ')})`);
}

/** A CSV field in double quotes, with "" for a quote inside (RFC 4180). */
function unquote(field: string): string {
  const quoted = field.length >= 2 && field.startsWith('"') && field.endsWith('"');
  return quoted ? field.slice(1, -1).replaceAll('""', '"') : field;
}

/**
 * Edits of the site's local DNO list file (listfile.ts format), pure: text in, text out. Lines that are not
 * touched — comments, blank lines, the header, other entries — stay exactly as they were, so a hand-kept file
 * keeps its shape. An entry already in the file (same target and category) is rewritten in place.
 *
 * Like the hub's list, an edit is all or nothing: a file or an input with a bad line, or a removal of what is
 * not in the file, refuses the edit with every bad line named (DnoFileError) and the file is not written.
 */
import type { DnoCategory, DnoEntry } from '../../proto/messages.js';
import { EntryDecoder, fieldOf, targetOfField } from './entry-codec.js';
import { DnoFileError, type LineProblem } from './file-error.js';
import { formatListLine, scanListText } from './listfile.js';

export interface LocalEdit {
  text: string;
  added: number;
  removed: number;
  /** Bad input lines left out (import with applyGood). */
  skipped: LineProblem[];
}

/** The file's lines and where each entry sits; refuses a file with bad lines. */
function indexOf(text: string, file: string): { lines: string[]; at: Map<string, number> } {
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const at = new Map<string, number>();
  const problems = scanListText(text, (field, _reason, _given, line) => at.set(field, line - 1));
  if (problems.length > 0) throw new DnoFileError(file, problems);
  return { lines, at };
}

function join(lines: readonly (string | null)[]): string {
  const kept = lines.filter((l): l is string => l !== null);
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}

/** Told how far a long edit has come (the CLI's progress): entries read, then entries merged into the file. */
export type EditProgress = (step: 'reading' | 'merging', done: number, total?: number) => void;

/** Entries between two progress reports. */
const REPORT_EVERY = 4096;

/** Add (or rewrite) `entries`. */
export function addEntries(text: string, file: string, entries: readonly DnoEntry[], progress?: EditProgress): LocalEdit {
  const { lines, at } = indexOf(text, file);
  const out: (string | null)[] = [...lines];
  let added = 0;
  for (const [i, entry] of entries.entries()) {
    if (progress && i % REPORT_EVERY === 0) progress('merging', i, entries.length);
    const field = fieldOf(entry);
    const line = formatListLine(entry, true);
    const existing = at.get(field);
    if (existing !== undefined) out[existing] = line;
    else {
      at.set(field, out.length);
      out.push(line);
      added++;
    }
  }
  progress?.('merging', entries.length, entries.length);
  return { text: join(out), added, removed: 0, skipped: [] };
}

/**
 * Remove targets given as list text (one per line; a line naming a category removes that category only, one
 * naming none removes the target from every category).
 */
export function removeTargets(text: string, file: string, targets: string, input: string): LocalEdit {
  const { lines, at } = indexOf(text, file);
  const out: (string | null)[] = [...lines];
  const missing: LineProblem[] = [];
  let removed = 0;
  const problems = scanListText(targets, (field, _reason, categoryGiven, line) => {
    const body = field.slice(1);
    const matches = [...at.keys()].filter((f) => f.slice(1) === body && (!categoryGiven || f === field));
    if (matches.length === 0) missing.push({ line, text: targetOfField(field), reason: `not in ${file}` });
    for (const f of matches) {
      if (out[at.get(f)!] !== null) removed++;
      out[at.get(f)!] = null;
    }
  });
  problems.push(...missing);
  if (problems.length > 0) throw new DnoFileError(input, problems.sort((a, b) => a.line - b.line));
  return { text: join(out), added: 0, removed, skipped: [] };
}

/** Merge a list file's text into the local list: refused whole on a bad line unless `applyGood`. */
export function importText(
  text: string,
  file: string,
  incoming: string,
  input: string,
  o: { category?: DnoCategory; reason?: string; applyGood?: boolean; progress?: EditProgress },
): LocalEdit {
  const decoder = new EntryDecoder();
  const entries: DnoEntry[] = [];
  const skipped = scanListText(
    incoming,
    (field, reason) => {
      const entry = decoder.entryOf(field, '');
      const why = reason ?? o.reason;
      if (why !== undefined) entry.reason = why;
      entries.push(entry);
      if (o.progress && entries.length % REPORT_EVERY === 0) o.progress('reading', entries.length);
    },
    { ...(o.category && { defaultCategory: o.category }) },
  );
  o.progress?.('reading', entries.length);
  if (skipped.length > 0 && !o.applyGood) throw new DnoFileError(input, skipped);
  return { ...addEntries(text, file, entries, o.progress), skipped };
}

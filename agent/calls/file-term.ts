/**
 * A CDR file as the call index's dictionary keeps it: its path and, when known, its identity (`<dev>:<ino>`),
 * joined by a NUL, which no path holds. One term per (path, identity): a file renamed by rotation is a new term,
 * and a new file at an old name is another one. A term without identity (interned before identities were kept)
 * reads back as a path alone.
 */
import type { CallRecord } from './record.js';

type Evidence = NonNullable<CallRecord['evidence']>;

const SEPARATOR = '\u0000';

export function fileTerm(file: string, fileKey: string | undefined): string {
  return fileKey === undefined ? file : `${file}${SEPARATOR}${fileKey}`;
}

export function evidenceOf(term: string, offset: number): Evidence {
  const cut = term.indexOf(SEPARATOR);
  return cut < 0 ? { file: term, offset } : { file: term.slice(0, cut), offset, fileKey: term.slice(cut + 1) };
}

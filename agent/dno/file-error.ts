/**
 * A DNO data file (local list, NANPA CO-code report) had bad lines. The whole file is refused: a list that is
 * half applied blocks some numbers and silently lets others through.
 */
export interface LineProblem {
  /** 1-based line number. */
  line: number;
  text: string;
  reason: string;
}

/** How many problems the message spells out; `errors` always holds every one of them. */
const SHOWN = 20;

export class DnoFileError extends Error {
  override readonly name = 'DnoFileError';
  constructor(
    readonly file: string,
    readonly errors: readonly LineProblem[],
  ) {
    const shown = errors.slice(0, SHOWN).map((e) => `  line ${e.line}: ${e.reason}: ${JSON.stringify(e.text)}`);
    const more = errors.length > SHOWN ? [`  … and ${errors.length - SHOWN} more`] : [];
    super([`${file}: ${errors.length} bad line(s), nothing loaded`, ...shown, ...more].join('\n'));
  }
}

/** Lines of a text file without their end-of-line (LF or CRLF), 1-based numbering left to the caller. */
export function linesOf(text: string): string[] {
  return text.split(/\r?\n/);
}

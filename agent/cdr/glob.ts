/**
 * Which files of a CDR directory a source reads: a shell glob (`*.ACT`, `acc_*.log`, `cdr[0-9]*.csv`) matched
 * against the file name, and against the name without `.gz` so that rotated, compressed files (`x.ACT.gz`)
 * belong to the source that read them uncompressed. As in a shell, `*` and `?` never match a leading dot:
 * writers stage files as `.name.tmp` before renaming them into place.
 */
import type { CdrFormat } from './format.js';

/** Without a configured pattern: every file of a line format, the `.xml` files of an XML format. */
export function defaultPattern(format: CdrFormat): string {
  return format.framing === 'line' ? '*' : '*.xml';
}

export function fileMatcher(pattern: string): (name: string) => boolean {
  const re = globRegExp(pattern);
  const dotOk = pattern.startsWith('.');
  return (name) => {
    if (name.startsWith('.') && !dotOk) return false;
    return re.test(name) || (name.endsWith('.gz') && re.test(name.slice(0, -3)));
  };
}

export function isGzip(name: string): boolean {
  return name.endsWith('.gz');
}

function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, close);
        re += '[' + (body.startsWith('!') ? '^' + body.slice(1) : body).replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

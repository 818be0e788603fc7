/**
 * How both master-list stores keep entries and changes (pure; the stores do the I/O).
 *
 * An entry is its field (agent/dno/entry-codec.ts) and a payload id. Payload ids are minted per change: the
 * version in base 36, then `.n` for the change's n-th distinct payload (`2s`, `2s.1`). A payload's reason and
 * source never change once minted, and its id names the version — and so the change-log row, with who and
 * when — that put the entry on the list.
 *
 * A change is kept for agents a few versions behind as delta text, one line per field (bucket-text.ts lines):
 *   +l12025550100<TAB>2s     set this field with this payload
 *   -l12025550101            delete this field
 */
import { eachLine } from '../../agent/dno/bucket-text.js';

export function payloadId(version: number, index: number): string {
  const v = version.toString(36);
  return index === 0 ? v : `${v}.${index.toString(36)}`;
}

/** The version that minted a payload id. */
export function versionOfPayload(pid: string): number {
  const dot = pid.indexOf('.');
  return parseInt(dot < 0 ? pid : pid.slice(0, dot), 36);
}

/** Payload ids for the distinct payload JSONs of one change. */
export function mintPayloadIds(version: number, payloads: Iterable<string>): Map<string, string> {
  const ids = new Map<string, string>();
  for (const json of payloads) if (!ids.has(json)) ids.set(json, payloadId(version, ids.size));
  return ids;
}

export function formatDelta(add: ReadonlyMap<string, string>, remove: readonly string[]): string {
  const lines: string[] = [];
  for (const field of remove) lines.push(`-${field}\n`);
  for (const [field, pid] of add) lines.push(`+${field}\t${pid}\n`);
  return lines.join('');
}

/** Consecutive changes folded into one: for each field, the last thing done to it. */
export class NetDelta {
  readonly add = new Map<string, string>();
  readonly remove = new Set<string>();

  get size(): number {
    return this.add.size + this.remove.size;
  }

  /** Fold in the next change, as delta text. */
  fold(text: string): this {
    eachLine(text, (line, pid) => {
      const field = line.slice(1);
      if (line.charCodeAt(0) === 43) {
        this.remove.delete(field);
        this.add.set(field, pid);
      } else {
        this.add.delete(field);
        this.remove.add(field);
      }
    });
    return this;
  }
}

/** Add to `into` each field of `wanted` that a bucket's text holds (reading fields only: every bucket of a large import). */
export function collectListed(text: string | null, wanted: ReadonlySet<string>, into: Set<string>): void {
  if (!text) return;
  for (let from = 0; from < text.length; ) {
    let end = text.indexOf('\n', from);
    if (end < 0) end = text.length;
    const tab = text.indexOf('\t', from);
    const field = text.slice(from, tab >= 0 && tab < end ? tab : end);
    if (wanted.has(field)) into.add(field);
    from = end + 1;
  }
}

/**
 * A bucket's text with `writes` applied (field → payload id to set, or null to delete): other lines are kept
 * as they are, fields new to the bucket are appended. '' when the bucket ends up empty. When no write touches a
 * field the bucket holds (`listed`), the new lines are appended without reading the old ones.
 */
export function rewriteBucket(text: string | null, writes: ReadonlyMap<string, string | null>, listed: (field: string) => boolean): string {
  const appended = (skip: ReadonlySet<string>) => {
    let lines = '';
    for (const [field, pid] of writes) if (pid !== null && !skip.has(field)) lines += `${field}\t${pid}\n`;
    return lines;
  };
  if (![...writes.keys()].some(listed)) return (text ?? '') + appended(new Set());
  const out: string[] = [];
  const done = new Set<string>();
  eachLine(text, (field, pid) => {
    const write = writes.get(field);
    if (write === undefined) out.push(pid === '' ? `${field}\n` : `${field}\t${pid}\n`);
    else {
      done.add(field);
      if (write !== null) out.push(`${field}\t${write}\n`);
    }
  });
  return out.join('') + appended(done);
}

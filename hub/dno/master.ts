/**
 * The hub's DNO master list, pure: what an add, a remove or an import asks of the list, whether it may happen,
 * and the change-log row it leaves. The stores (store.ts) hold the list and apply what this file resolves, so
 * the Redis and memory stores cannot disagree about what a change means.
 *
 * Entries travel as fields (agent/dno/entry-codec.ts: category code + target, e.g. `l12025550100`) with their
 * payload JSON (reason, source): an import of a million lines never builds a million entry objects. An entry's
 * identity is its field; adding it again replaces its payload.
 *
 * Rules:
 * - Emergency numbers (911, 112 in any form, and configured extras) can never be on the list, nor be covered by
 *   a prefix or range (a prefix of `+1` covers `+1911`): a DNO entry must not be able to touch them.
 * - A change is atomic: one bad line refuses the whole request and the list stays at its version, unless the
 *   operator asked to apply the good lines; either way the report names every bad line.
 */
import { categoryCode, categoryOfField, fieldOf, payloadOf, targetOfField } from '../../agent/dno/entry-codec.js';
import type { LineProblem } from '../../agent/dno/file-error.js';
import { scanListText } from '../../agent/dno/listfile.js';
import { targetText } from '../../proto/dno-target.js';
import { DnoCategory, type DnoEntry } from '../../proto/messages.js';
import { isEmergency } from '../../proto/tn.js';

export type DnoOp = 'add' | 'remove' | 'import';

/** The code of a removal field that names no category. */
export const ANY_CATEGORY = '*';

/** How many targets a change-log row names (an import of a million names its count and these). */
export const ROW_SAMPLE = 20;
const DEFAULT_EMERGENCY = ['911', '112'];

/** One row of the change log: every change is a new version. */
export interface DnoChangeRow {
  version: number;
  /** The token id that made the change. */
  who: string;
  /** ISO 8601. */
  when: string;
  why?: string;
  what: {
    op: DnoOp;
    added: number;
    removed: number;
    /** Bad lines left out because the operator asked to apply the good ones. */
    skipped: number;
    /** The first ROW_SAMPLE targets changed, as 'listed +12025550100'. */
    sample: string[];
    /** The imported file's name. */
    file?: string;
  };
}

/** A request to change the list, checked line by line but not yet resolved against the list. */
export interface DnoRequest {
  op: DnoOp;
  /** Entries to add: fields and payload JSON, in parallel. */
  add: { fields: string[]; payloads: string[] };
  /** Fields to remove; a field whose code is ANY_CATEGORY removes its target from every category. */
  remove: { fields: string[]; lines: number[] };
  /** Bad lines found while reading the request. */
  problems: LineProblem[];
  /** Apply the good lines and report the bad ones, instead of refusing the whole request. */
  applyGood: boolean;
  who: string;
  why?: string;
  file?: string;
}

/** What a request does to the list as it is now. */
export interface ResolvedChange {
  /** Fields to set and their payload ids (the last of several lines for one field wins). */
  add: Map<string, string>;
  /** Fields to delete (each is on the list). */
  remove: string[];
  /** Every bad line: the request's own, and removals of what is not on the list. */
  problems: LineProblem[];
}

/** A change that may not happen; nothing changed. `problems` lists every bad line. */
export class DnoChangeRefused extends Error {
  override readonly name = 'DnoChangeRefused';
  constructor(
    readonly op: DnoOp,
    readonly problems: readonly LineProblem[],
    summary?: string,
  ) {
    super(summary ?? `${problems.length} bad line(s), nothing ${op === 'remove' ? 'removed' : 'added'}; the list is unchanged`);
  }
}

const CODES = DnoCategory.options.map(categoryCode);

/**
 * The rule that keeps emergency numbers off the list: for an entry (as a field), why it may never be on a DNO
 * list, or null. `extra`: exempt short codes beyond 911 and 112.
 */
export function emergencyRule(extra: readonly string[] = []): (field: string) => string | null {
  const forms = [...DEFAULT_EMERGENCY, ...extra].flatMap((code) => [`+1${code}`, `+${code}`]);
  // isEmergency is true only for a short code, maybe behind +1: a longer number need not be asked.
  const longest = Math.max(...forms.map((f) => f.length));
  const emergency = (n: string) => n.length <= longest && isEmergency(n, extra);
  return (field) => {
    const body = field.slice(1);
    if (body.endsWith('*')) {
      const prefix = `+${body.slice(0, -1)}`;
      const covered = forms.find((f) => f.startsWith(prefix)) ?? (emergency(prefix) ? prefix : undefined);
      return covered ? `prefix ${prefix}* covers the emergency number ${covered}, which is never on a DNO list` : null;
    }
    const dash = body.indexOf('-');
    const from = `+${dash < 0 ? body : body.slice(0, dash)}`;
    const to = dash < 0 ? from : `+${body.slice(dash + 1)}`;
    const hit = [from, to].find(emergency) ?? forms.find((f) => f.length === from.length && from <= f && f <= to);
    return hit ? `${hit} is an emergency number, never on a DNO list` : null;
  };
}

export interface ImportOptions {
  /** Category of a line that names none. */
  category?: DnoCategory;
  /** Reason of a line that gives none. */
  reason?: string;
  /** Every imported entry's source (the list it came from). */
  source?: string;
  emergency?: readonly string[];
}

/** Read an import (one number per line, or CSV number,category,reason) into a request. */
export function importRequest(text: string, opts: ImportOptions, meta: RequestMeta): DnoRequest {
  const req = emptyRequest('import', meta);
  const payloads = new PayloadJson(opts.source);
  req.problems = scanListText(
    text,
    (field, reason) => {
      req.add.fields.push(field);
      req.add.payloads.push(payloads.of(reason ?? opts.reason));
    },
    { ...(opts.category && { defaultCategory: opts.category }), refuse: emergencyRule(opts.emergency) },
  );
  return req;
}

/** Entries given as protocol objects (the API's add). */
export function addRequest(entries: readonly DnoEntry[], emergency: readonly string[], meta: RequestMeta): DnoRequest {
  const req = emptyRequest('add', meta);
  const refuse = emergencyRule(emergency);
  entries.forEach((entry, i) => {
    const field = fieldOf(entry);
    const refused = refuse(field);
    if (refused) return void req.problems.push({ line: i + 1, text: targetText(entry), reason: refused });
    req.add.fields.push(field);
    req.add.payloads.push(payloadOf(entry));
  });
  return req;
}

/**
 * Targets to remove, as list text (one per line; a line that names a category removes only that category,
 * one that names none removes the target from every category).
 */
export function removeRequest(text: string, meta: RequestMeta): DnoRequest {
  const req = emptyRequest('remove', meta);
  req.problems = scanListText(text, (field, _reason, categoryGiven, line) => {
    req.remove.fields.push(categoryGiven ? field : ANY_CATEGORY + field.slice(1));
    req.remove.lines.push(line);
  });
  return req;
}

export interface RequestMeta {
  who: string;
  why?: string;
  file?: string;
  applyGood?: boolean;
}

function emptyRequest(op: DnoOp, meta: RequestMeta): DnoRequest {
  return {
    op,
    add: { fields: [], payloads: [] },
    remove: { fields: [], lines: [] },
    problems: [],
    applyGood: meta.applyGood ?? false,
    who: meta.who,
    ...(meta.why !== undefined && { why: meta.why }),
    ...(meta.file !== undefined && { file: meta.file }),
  };
}

/** The fields a removal may find on the list: its own, or its target's in every category. */
export function candidateFields(field: string): string[] {
  return field[0] === ANY_CATEGORY ? CODES.map((c) => c + field.slice(1)) : [field];
}

/**
 * Resolve a request against the list (`listed(field)`: is the field on it now?), naming each payload JSON by
 * its id (`ids`). Throws DnoChangeRefused when the request has bad lines and the operator did not ask for the
 * good ones, or when nothing would change.
 */
export function resolveChange(req: DnoRequest, listed: (field: string) => boolean, ids: ReadonlyMap<string, string>): ResolvedChange {
  const problems = [...req.problems];
  const add = new Map<string, string>();
  const { fields, payloads } = req.add;
  for (let i = 0; i < fields.length; i++) add.set(fields[i]!, ids.get(payloads[i]!)!);
  const remove = new Set<string>();
  req.remove.fields.forEach((field, i) => {
    const found = candidateFields(field).filter(listed);
    if (found.length === 0) {
      const where = field[0] === ANY_CATEGORY ? 'in any category' : `as ${categoryOfField(field)}`;
      problems.push({ line: req.remove.lines[i]!, text: targetOfField(field), reason: `not on the list ${where}` });
    }
    for (const f of found) remove.add(f);
  });
  problems.sort((a, b) => a.line - b.line);
  if (problems.length > 0 && !req.applyGood) throw new DnoChangeRefused(req.op, problems);
  if (add.size === 0 && remove.size === 0) {
    throw new DnoChangeRefused(req.op, problems, `nothing to ${req.op === 'remove' ? 'remove' : 'add'}; the list is unchanged`);
  }
  return { add, remove: [...remove], problems };
}

/** The change-log row of a resolved change made as `version`. */
export function changeRow(req: DnoRequest, change: ResolvedChange, version: number, when: number): DnoChangeRow {
  const sample: string[] = [];
  for (const field of change.add.keys()) {
    if (sample.length >= ROW_SAMPLE) break;
    sample.push(describeField(field));
  }
  for (const field of change.remove) {
    if (sample.length >= ROW_SAMPLE) break;
    sample.push(describeField(field));
  }
  const what: DnoChangeRow['what'] = { op: req.op, added: change.add.size, removed: change.remove.length, skipped: change.problems.length, sample };
  if (req.file !== undefined) what.file = req.file;
  const row: DnoChangeRow = { version, who: req.who, when: new Date(when).toISOString(), what };
  if (req.why !== undefined) row.why = req.why;
  return row;
}

/** 'listed +12025550100' */
export function describeField(field: string): string {
  return `${categoryOfField(field)} ${targetOfField(field)}`;
}

/** Payload JSON per distinct reason of one request: a million lines share a handful of strings. */
class PayloadJson {
  private readonly byReason = new Map<string | undefined, string>();
  constructor(private readonly source: string | undefined) {}

  of(reason: string | undefined): string {
    let json = this.byReason.get(reason);
    if (json === undefined) {
      json = payloadOf({ reason, source: this.source });
      this.byReason.set(reason, json);
    }
    return json;
  }
}

/**
 * Schema issues in an operator's words: "required", "unknown key (did you mean listen?)", "expected a
 * number, got "ten"" — each with the setting's path and where its value came from.
 */
import type { z } from 'zod';
import { formatPath } from '../proto/messages.js';
import type { ConfigIssue } from './errors.js';
import { shapeOf, schemaAt, type PathSegment } from './schema-walk.js';

export type Validated<T> = { ok: true; data: T } | { ok: false; issues: ConfigIssue[] };

/** Where the value at `path` came from (`--sip`, `HOPTRACE_REDIS_URL`, a file), if known. */
export type SourceOf = (path: readonly PathSegment[]) => string | undefined;

/**
 * Validate `value`; issue paths start with `root` when given (`ingress.yaml` → `ingress.yaml[3].match.cidr`).
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, sourceOf: SourceOf, root?: string): Validated<z.output<S>> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, data: result.data };
  const issues = result.error.issues.flatMap((issue) => {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    const located = (at: readonly PathSegment[], reason: string): ConfigIssue => {
      const source = sourceOf(at);
      const shown = formatPath(root === undefined ? at : [root, ...at]) || '(top level)';
      return source === undefined ? { path: shown, reason } : { path: shown, reason, source };
    };
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(shapeOf(schemaAt(schema, path) ?? schema) ?? {});
      return issue.keys.map((key) => located([...path, key], unknownKey(key, known)));
    }
    return [located(path, reasonFor(issue))];
  });
  return { ok: false, issues };
}

function reasonFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required';
      // zod's own messages start "Invalid input"; a schema's own (`expected HOST:PORT`) is kept.
      const expected = issue.message.startsWith('Invalid input') ? `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}` : issue.message;
      return `${expected}, got ${show(issue.input)}`;
    }
    case 'invalid_value':
      return `expected ${oneOf(issue.values)}, got ${show(issue.input)}`;
    case 'too_small':
      return issue.origin === 'string' && Number(issue.minimum) === 1
        ? 'must not be empty'
        : `must be at least ${String(issue.minimum)}${unitOf(issue.origin)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${unitOf(issue.origin)}`;
    default:
      return issue.message;
  }
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  record: 'a mapping',
};

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => JSON.stringify(v));
  return shown.length <= 2 ? shown.join(' or ') : `one of ${shown.join(', ')}`;
}

function unitOf(origin: string): string {
  return origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '';
}

function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function unknownKey(key: string, known: readonly string[]): string {
  const close = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => editDistance(k, key) <= 2);
  if (close !== undefined) return `unknown key (did you mean ${close}?)`;
  return known.length > 0 ? `unknown key (expected one of: ${known.join(', ')})` : 'unknown key';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

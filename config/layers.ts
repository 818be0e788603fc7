/**
 * Settings arrive in layers — defaults (the schema), a file, the environment, flags — merged with
 * precedence flag > env > file > default. Sections merge key by key; a value or a list set by a higher
 * layer replaces the lower one whole. Each layer remembers where each of its values came from, so an
 * error can say `(from --sip)` and `check` can say which layer won.
 */
import { formatPath } from '../proto/messages.js';
import type { ConfigIssue } from './errors.js';
import { isPlainObject, type PathSegment } from './schema-walk.js';

export type Origin = 'flag' | 'env' | 'file';

export class Layer {
  readonly values: Record<string, unknown> = {};
  /** Dotted path of each value this layer set → its source (`--sip`, `HOPTRACE_SIP`, a file path). */
  private readonly setBy = new Map<string, string>();
  /** Values this layer could not even turn into settings (a malformed `--cdr`, bad JSON in a variable). */
  readonly issues: ConfigIssue[] = [];

  constructor(
    readonly origin: Origin,
    /** Relative paths in this layer are relative to here: the file's directory, else the working directory. */
    readonly baseDir: string,
  ) {}

  set(path: readonly string[], value: unknown, source: string): void {
    if (path.length === 0) {
      if (isPlainObject(value)) for (const [key, child] of Object.entries(value)) this.set([key], child, source);
      return;
    }
    let parent = this.values;
    for (const key of path.slice(0, -1)) {
      const next = parent[key];
      parent = isPlainObject(next) ? next : (parent[key] = {});
    }
    const last = path[path.length - 1]!;
    parent[last] = mergeValues(parent[last], value);
    for (const leaf of leaves(value, path)) this.setBy.set(leaf, source);
  }

  /** The source of the value at `path`, when this layer set it (or a section or list containing it). */
  sourceOf(path: readonly PathSegment[]): string | undefined {
    const shown = formatPath(path);
    for (const [leaf, source] of this.setBy) {
      if (shown === leaf || shown.startsWith(`${leaf}.`) || shown.startsWith(`${leaf}[`)) return source;
    }
    return undefined;
  }

  /** The source of a value this layer set beside `path`, in the same section: who left `path` out. */
  sourceBeside(path: readonly PathSegment[]): string | undefined {
    const section = formatPath(path.slice(0, -1));
    if (section === '') return undefined;
    for (const [leaf, source] of this.setBy) {
      if (leaf.startsWith(`${section}.`) || leaf.startsWith(`${section}[`)) return source;
    }
    return undefined;
  }

  /** Whether this layer set anything at or under the setting `path` (dotted). */
  sets(path: string): boolean {
    for (const leaf of this.setBy.keys()) {
      if (leaf === path || leaf.startsWith(`${path}.`) || path.startsWith(`${leaf}.`)) return true;
    }
    return false;
  }
}

/** Merge layers' values, given lowest precedence first. */
export function mergeLayers(values: readonly Record<string, unknown>[]): Record<string, unknown> {
  return values.reduce<Record<string, unknown>>((merged, v) => mergeValues(merged, v) as Record<string, unknown>, {});
}

function mergeValues(lower: unknown, higher: unknown): unknown {
  if (!isPlainObject(lower) || !isPlainObject(higher)) return higher;
  const out: Record<string, unknown> = { ...lower };
  for (const [key, value] of Object.entries(higher)) out[key] = mergeValues(out[key], value);
  return out;
}

function leaves(value: unknown, path: readonly string[]): string[] {
  if (!isPlainObject(value) || Object.keys(value).length === 0) return [path.join('.')];
  return Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]));
}

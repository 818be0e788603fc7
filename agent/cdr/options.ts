/**
 * Format options: each format declares a zod schema next to its code; the parsed value is computed once per
 * options object (the tailer passes the same context for a whole file), not once per line.
 */
import { z } from 'zod';
import { isTimeZone } from './time.js';
import { fixedOffset } from './time-syntax.js';

const parsed = new WeakMap<object, Map<z.ZodType, unknown>>();

/** The parsed options, or a reason naming the bad option (`options.positions.calling: …`). */
export function optionsOf<S extends z.ZodType>(schema: S, options: Record<string, unknown>): z.output<S> | OptionsProblem {
  let bySchema = parsed.get(options);
  if (bySchema === undefined) {
    bySchema = new Map();
    parsed.set(options, bySchema);
  }
  if (bySchema.has(schema)) return bySchema.get(schema) as z.output<S> | OptionsProblem;
  const r = schema.safeParse(options);
  const value = r.success ? r.data : new OptionsProblem(problemText(r.error));
  bySchema.set(schema, value);
  return value;
}

/** Options that do not fit the format's schema: a configuration error, reported on every line until fixed. */
export class OptionsProblem {
  constructor(readonly reason: string) {}
}

function problemText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'options: invalid';
  const path = ['options', ...issue.path.map(String)].join('.');
  return `${path}: ${issue.message}`;
}

/**
 * Zone abbreviation → `-08:00` or an IANA zone, for Cisco-style times (Acme, CUBE). Abbreviations are ambiguous
 * (CST, IST) so the operator says what each means at this site; UTC and GMT need no entry.
 */
export const ZoneAbbreviations = z
  .record(
    z.string().min(1),
    z.string().refine((v) => fixedOffset(v) !== null || isTimeZone(v), 'must be ±hh:mm or an IANA zone name'),
  )
  .default({})
  .transform((zones) => Object.fromEntries(Object.entries(zones).map(([k, v]) => [k.toUpperCase(), v])));

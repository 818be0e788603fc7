/**
 * The leaf types settings are made of. Each carries a label for the generated reference (`path`, `URL`,
 * `CIDR`, ...) in `fieldMeta`; file paths are also marked so the loader can resolve them against the
 * directory of the file that named them.
 */
import { z } from 'zod';
import { cidrSchema } from './cidr.js';
import { hostPortSchema, listenSchema, type Transport } from './listen.js';

export interface FieldMeta {
  /** How the reference names the type. */
  label: string;
  /** A filesystem path: relative values in a file are relative to that file's directory. */
  path?: true;
}

export const fieldMeta = z.registry<FieldMeta>();

function labelled<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  fieldMeta.add(schema, meta);
  return schema;
}

export function filePath(): z.ZodString {
  return labelled(z.string().min(1), { label: 'path', path: true });
}

/** A moment as ISO 8601 with its offset (`2026-11-29T12:00:00Z`). */
export function instant(): z.ZodISODateTime {
  return labelled(z.iso.datetime({ offset: true }), { label: 'time (ISO 8601)' });
}

export function directory(): z.ZodString {
  return labelled(z.string().min(1), { label: 'directory', path: true });
}

export function webUrl(): z.ZodURL {
  return labelled(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }), { label: 'URL' });
}

export function redisUrl(): z.ZodURL {
  return labelled(z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }), { label: 'URL' });
}

/**
 * CDR times are read in a declared IANA zone, never an abbreviation: CST and IST are ambiguous, and EST
 * (a fixed offset in tzdata) silently ignores daylight saving time for a switch in New York.
 */
export function ianaZone(): z.ZodString {
  return labelled(
    z
      .string()
      .refine((zone) => !ABBREVIATION.test(zone) || UNIVERSAL.has(zone), {
        error: (iss) => `${JSON.stringify(iss.input)} is an abbreviation, not an IANA time zone: use a name like America/Chicago`,
        abort: true,
      })
      .refine(isTimeZone, { error: (iss) => `unknown IANA time zone ${JSON.stringify(iss.input)}, e.g. America/Chicago` }),
    { label: 'IANA zone' },
  );
}

const ABBREVIATION = /^[A-Z]{2,5}$/;
const UNIVERSAL = new Set(['UTC', 'GMT', 'UCT']);

export function cidr(): ReturnType<typeof cidrSchema> {
  return labelled(cidrSchema(), { label: 'CIDR' });
}

export function hostPort(): ReturnType<typeof hostPortSchema> {
  return labelled(hostPortSchema(), { label: 'HOST:PORT' });
}

export function listen(transports: readonly Transport[]): ReturnType<typeof listenSchema> {
  return labelled(listenSchema(transports), { label: transports.map((t) => `${t}:HOST:PORT`).join(' or ') });
}

/** pino's levels. */
export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof LogLevel>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

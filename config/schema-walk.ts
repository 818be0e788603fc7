/**
 * Walking a settings schema: what a setting is under its wrappers (optional, default, transforms), and where
 * each setting lives. The loader, the environment mapping and the reference generator all read the schema
 * this way, so none of them keeps its own list of settings.
 */
import { z } from 'zod';
import { fieldMeta, type FieldMeta } from './fields.js';

export type PathSegment = string | number;

export interface Peeled {
  /** The schema under the wrappers: an object, array, record, string, number, boolean, enum or literal. */
  core: z.ZodType;
  description?: string;
  meta?: FieldMeta;
  /** Present when the setting has a default: the value as a file would write it. */
  default?: { value: unknown };
  optional: boolean;
}

export function peel(schema: z.ZodType): Peeled {
  const out: Peeled = { core: schema, optional: false };
  let current: z.ZodType | undefined = schema;
  while (current) {
    out.core = current;
    out.description ??= current.description;
    out.meta ??= fieldMeta.get(current);
    current = inner(current, out);
  }
  return out;
}

function inner(schema: z.ZodType, out: Peeled): z.ZodType | undefined {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    out.optional = true;
    return schema.unwrap() as z.ZodType;
  }
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
    out.default ??= { value: schema.def.defaultValue };
    return schema.def.innerType as z.ZodType;
  }
  // A transform's input is what the file holds (`udp:HOST:PORT`); a preprocess's output schema is.
  if (schema instanceof z.ZodPipe) return (schema.in instanceof z.ZodTransform ? schema.out : schema.in) as z.ZodType;
  return undefined;
}

export function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const { core } = peel(schema);
  return core instanceof z.ZodObject ? (core.shape as Record<string, z.ZodType>) : undefined;
}

export function elementOf(schema: z.ZodType): z.ZodType | undefined {
  const { core } = peel(schema);
  return core instanceof z.ZodArray ? (core.element as z.ZodType) : undefined;
}

/** The schema of the setting at `path`, or undefined when no such setting exists. */
export function schemaAt(schema: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    if (!current) return undefined;
    current = typeof segment === 'number' ? elementOf(current) : shapeOf(current)?.[segment];
  }
  return current;
}

/**
 * Every setting's path: sections are walked into, anything else (a value, a list, a map) is one setting.
 */
export function settingPaths(schema: z.ZodType, prefix: readonly string[] = []): string[][] {
  const shape = shapeOf(schema);
  if (!shape) return [[...prefix]];
  return Object.entries(shape).flatMap(([key, child]) => settingPaths(child, [...prefix, key]));
}

/** A copy of `value` with `fn` applied to every string that the schema marks as a filesystem path. */
export function mapPathStrings(schema: z.ZodType | undefined, value: unknown, fn: (path: string) => string): unknown {
  if (!schema) return value;
  if (typeof value === 'string') return peel(schema).meta?.path ? fn(value) : value;
  if (Array.isArray(value)) {
    const element = elementOf(schema);
    return value.map((item) => mapPathStrings(element, item, fn));
  }
  if (isPlainObject(value)) {
    const shape = shapeOf(schema);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapPathStrings(shape?.[k], v, fn)]));
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

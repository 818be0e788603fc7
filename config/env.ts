/**
 * Environment overrides: every setting as `HOPTRACE_<SECTION>__<KEY>` (`HOPTRACE_REDIS__URL`,
 * `HOPTRACE_CALLS__RETENTION_DAYS`), plus the shortcuts' short names (`HOPTRACE_REDIS_URL`). Values are text:
 * numbers and booleans are read as the schema says, lists are comma-separated, and sections or lists of
 * sections (`HOPTRACE_DRACHTIO`, `HOPTRACE_INGRESS__MAP`) are JSON. An empty variable counts as unset.
 */
import { z } from 'zod';
import { Layer } from './layers.js';
import { elementOf, peel, shapeOf } from './schema-walk.js';
import { applyShortcut, type Shortcut } from './shortcuts.js';

const PREFIX = 'HOPTRACE_';
/** Names the settings file; not a setting itself. */
const CONFIG_FILE_VARIABLE = 'HOPTRACE_CONFIG';

export interface EnvSettings {
  layer: Layer;
  configFile: string | undefined;
  warnings: string[];
}

/**
 * @param otherNames variables that belong to the other program (the hub's in the agent's environment and
 *   the reverse): not settings here, but no reason to warn either.
 */
export function readEnv(
  env: NodeJS.ProcessEnv,
  schema: z.ZodType,
  shortcuts: readonly Shortcut[],
  cwd: string,
  otherNames: ReadonlySet<string>,
): EnvSettings {
  const layer = new Layer('env', cwd);
  const warnings: string[] = [];
  const setByLongName = new Map<string, string>();
  const names = Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && name !== CONFIG_FILE_VARIABLE && env[name])
    .sort();
  const shortcutOf = (name: string) => shortcuts.find((s) => s.env === name);

  for (const name of names.filter((n) => !shortcutOf(n))) {
    const path = settingFor(schema, name.slice(PREFIX.length).split('__'));
    if (path === undefined) {
      if (!otherNames.has(name)) warnings.push(`ignoring ${name}: there is no such setting`);
      continue;
    }
    const read = fromText(env[name]!, path.schema);
    if ('reason' in read) layer.issues.push({ path: path.keys.join('.'), reason: read.reason, source: name });
    else layer.set(path.keys, read.value, name);
    setByLongName.set(path.keys.join('.'), name);
  }

  for (const name of names) {
    const shortcut = shortcutOf(name);
    if (!shortcut) continue;
    const longName = setByLongName.get(shortcut.path.join('.'));
    if (longName !== undefined) {
      warnings.push(`ignoring ${name}: ${longName} sets the same setting`);
      continue;
    }
    const text = env[name]!;
    applyShortcut(layer, shortcut, shortcut.multiple ? splitList(text) : [text], name);
  }

  const file = env[CONFIG_FILE_VARIABLE];
  return { layer, configFile: file ? file : undefined, warnings };
}

/** `['CALLS', 'RETENTION_DAYS']` → `calls.retentionDays`; matching ignores case and accepts RETENTIONDAYS. */
function settingFor(schema: z.ZodType, segments: readonly string[]): { keys: string[]; schema: z.ZodType } | undefined {
  const keys: string[] = [];
  let current = schema;
  for (const segment of segments) {
    const shape = shapeOf(current);
    const wanted = segment.toUpperCase();
    const key = Object.keys(shape ?? {}).find((k) => envSegment(k) === wanted || k.toUpperCase() === wanted);
    if (!shape || key === undefined) return undefined;
    keys.push(key);
    current = shape[key]!;
  }
  return keys.length > 0 ? { keys, schema: current } : undefined;
}

/** `retentionDays` → `RETENTION_DAYS`. */
function envSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The long environment name of a setting: `['calls', 'retentionDays']` → `HOPTRACE_CALLS__RETENTION_DAYS`. */
export function envName(path: readonly string[]): string {
  return PREFIX + path.map(envSegment).join('__');
}

/** Text as the setting's type; text that cannot be read stays text, for the schema to reject with its path. */
function fromText(text: string, schema: z.ZodType): { value: unknown } | { reason: string } {
  const { core } = peel(schema);
  const element = elementOf(schema);
  const structured = core instanceof z.ZodObject || core instanceof z.ZodRecord || (element && isStructured(element));
  if (structured) {
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { reason: 'expected JSON (this setting is a section or a list of sections)' };
    }
  }
  if (element) return { value: splitList(text).map((item) => scalarFromText(item, element)) };
  return { value: scalarFromText(text, schema) };
}

function isStructured(schema: z.ZodType): boolean {
  const { core } = peel(schema);
  return core instanceof z.ZodObject || core instanceof z.ZodRecord || core instanceof z.ZodArray;
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, on: true, off: false, '1': true, '0': false };

function scalarFromText(text: string, schema: z.ZodType): unknown {
  const { core } = peel(schema);
  const numeric = core instanceof z.ZodNumber || (core instanceof z.ZodLiteral && [...core.values].every((v) => typeof v === 'number'));
  if (numeric && /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text)) return Number(text);
  if (core instanceof z.ZodBoolean) return BOOLEANS[text.trim().toLowerCase()] ?? text;
  return text;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

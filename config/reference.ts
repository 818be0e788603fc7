/**
 * The configuration reference, generated from the schemas so the docs cannot drift from the code
 * (STYLE: "its parameters are its documentation"). `npx tsx config/reference.ts` prints the agent's and the
 * hub's tables, and their flags and short environment variables, as markdown for the README.
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { AgentConfig, agentShortcuts } from './agent.js';
import { envName } from './env.js';
import { HubConfig, hubShortcuts } from './hub.js';
import { elementOf, peel, shapeOf } from './schema-walk.js';
import type { Shortcut } from './shortcuts.js';

export interface ReferenceRow {
  /** Dotted path; `[]` marks the items of a list (`cdr[].format`). */
  path: string;
  type: string;
  /** The default as a file would write it; `required`; or empty when the setting is optional. */
  default: string;
  description: string;
}

export function referenceRows(schema: z.ZodType, prefix = ''): ReferenceRow[] {
  return Object.entries(shapeOf(schema) ?? {}).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const peeled = peel(child);
    const row: ReferenceRow = {
      path,
      type: typeName(child),
      default: peeled.default ? defaultText(peeled.default.value) : peeled.optional ? '' : 'required',
      description: peeled.description ?? '',
    };
    const element = elementOf(child);
    if (shapeOf(child)) return [row, ...referenceRows(child, path)];
    if (element && shapeOf(element)) return [row, ...referenceRows(element, `${path}[]`)];
    return [row];
  });
}

/** A markdown table: path, type, default, description. */
export function configReference(schema: z.ZodType): string {
  return table(
    ['path', 'type', 'default', 'description'],
    referenceRows(schema).map((r) => [code(r.path), r.type, r.default === '' || r.default === 'required' ? r.default : code(r.default), r.description]),
  );
}

/** A markdown table of the flags and short environment variables. */
export function shortcutReference(shortcuts: readonly Shortcut[]): string {
  return table(
    ['flag', 'variable', 'setting'],
    shortcuts.map((s) => [`${code(`--${s.flag}`)}${s.multiple ? ' (repeatable)' : ''}`, code(s.env), code(s.path.join('.'))]),
  );
}

function typeName(schema: z.ZodType): string {
  const { core, meta } = peel(schema);
  if (meta) return meta.label;
  const element = elementOf(schema);
  if (element) return shapeOf(element) ? 'list of sections' : `list of ${typeName(element)}`;
  if (core instanceof z.ZodObject) return 'section';
  if (core instanceof z.ZodRecord) return 'map';
  if (core instanceof z.ZodEnum) return core.options.join(' | ');
  if (core instanceof z.ZodLiteral) return [...core.values].join(' | ');
  if (core instanceof z.ZodNumber) return core.format === 'safeint' ? 'integer' : 'number';
  if (core instanceof z.ZodBoolean) return 'boolean';
  if (core instanceof z.ZodString) return 'string';
  return 'any';
}

function defaultText(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

function code(text: string): string {
  return `\`${text}\``;
}

function printReference(): void {
  const example = envName(['calls', 'retentionDays']);
  const sections = [
    '## Agent configuration (`hoptrace-agent`)\n',
    configReference(AgentConfig),
    shortcutReference(agentShortcuts),
    '## Hub configuration (`hoptrace-hub serve`)\n',
    configReference(HubConfig),
    shortcutReference(hubShortcuts),
    `Every setting can also be set by an environment variable named from its path, sections joined by \`__\` ` +
      `(\`calls.retentionDays\` → \`${example}\`); lists are comma-separated, sections and lists of sections are JSON. ` +
      'Precedence: flag > environment > file > default. `--config FILE` (or `HOPTRACE_CONFIG`) names the file; ' +
      'relative paths in a file are relative to the file.\n',
  ];
  process.stdout.write(sections.join('\n'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) printReference();

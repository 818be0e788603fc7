/**
 * Loading the agent's and the hub's configuration (DESIGN §4): a YAML/JSON file, environment overrides and
 * flags, with precedence flag > env > file > default. A bad configuration is one ConfigError listing every
 * problem with its path and source; files the configuration names and whose format it owns (the ingress map,
 * the providers list) are validated too, so `check` catches them before a start does.
 */
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { AgentConfig, agentShortcuts } from './agent.js';
import type { SettingSource } from './effective.js';
import { readEnv } from './env.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { readSettingsFile } from './file.js';
import { parseFlags } from './flags.js';
import { HubConfig, hubShortcuts } from './hub.js';
import { Layer, mergeLayers } from './layers.js';
import { loadIngressFile, loadProvidersFile } from './lists.js';
import { isPlainObject, mapPathStrings, settingPaths, type PathSegment } from './schema-walk.js';
import type { Shortcut } from './shortcuts.js';
import { validate, type SourceOf } from './validate.js';

export { ConfigError, describeIssue, type ConfigIssue } from './errors.js';
export { formatEffective, redact, type SettingSource } from './effective.js';
export { loadIngressFile, loadProvidersFile, readListFile } from './lists.js';

export interface LoadOptions {
  /** The settings file; `--config` in `flags` wins over it, and it wins over HOPTRACE_CONFIG. */
  file?: string;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Flags only, without the program name or subcommand: `['--provider', 'acme', '--sip', 'udp:0.0.0.0:5060']`. */
  flags?: readonly string[];
  /** Base of relative paths given by flags and variables; default: process.cwd(). */
  cwd?: string;
}

export interface Loaded<T> {
  config: T;
  warnings: string[];
  /** Where each setting's value came from, by dotted path (`sip.listen`, `redis.url`). */
  sources: Record<string, SettingSource>;
}

/** Both programs keep their state in Redis when configured. */
type WithStore = z.ZodType<{ redis?: { url: string } | undefined }>;

interface Program<S extends WithStore> {
  schema: S;
  shortcuts: readonly Shortcut[];
  /** What the embedded store loses on a restart, for the warning. */
  keptInStore: string;
  /** Settings naming files whose format the configuration owns, and how to check such a file. */
  namedFiles: readonly { path: readonly string[]; check: (file: string) => unknown }[];
}

const agentProgram: Program<typeof AgentConfig> = {
  schema: AgentConfig,
  shortcuts: agentShortcuts,
  keptInStore: 'the call index, the DNO cache and CDR checkpoints',
  namedFiles: [{ path: ['ingress', 'file'], check: (file) => loadIngressFile(file) }],
};

const hubProgram: Program<typeof HubConfig> = {
  schema: HubConfig,
  shortcuts: hubShortcuts,
  keptInStore: 'cases, hops, providers and the DNO master list',
  namedFiles: [{ path: ['providersFile'], check: (file) => loadProvidersFile(file) }],
};

/** Both programs may share one environment: neither warns about the other's short variables. */
const SHORT_NAMES = new Set([...agentShortcuts, ...hubShortcuts].map((s) => s.env));

export function loadAgentConfig(opts: LoadOptions = {}): Loaded<AgentConfig> {
  return loadConfig(agentProgram, opts);
}

export function loadHubConfig(opts: LoadOptions = {}): Loaded<HubConfig> {
  return loadConfig(hubProgram, opts);
}

function loadConfig<S extends WithStore>(program: Program<S>, opts: LoadOptions): Loaded<z.output<S>> {
  const cwd = opts.cwd ?? process.cwd();
  const flags = parseFlags(opts.flags ?? [], program.shortcuts, cwd);
  const env = readEnv(opts.env ?? process.env, program.schema, program.shortcuts, cwd, SHORT_NAMES);
  const file = fileLayer(flags.configFile ?? opts.file ?? env.configFile, cwd);
  const layers = [file, env.layer, flags.layer];

  const merged = mergeLayers(layers.map((layer) => resolvedPaths(program.schema, layer)));
  const byPrecedence = [flags.layer, env.layer, file];
  const sourceOf = (path: readonly PathSegment[]) =>
    firstOf(byPrecedence, (layer) => layer.sourceOf(path)) ?? firstOf(byPrecedence, (layer) => layer.sourceBeside(path));
  const result = validate(program.schema, merged, sourceOf);
  const shorthandIssues = layers.flatMap((layer) => layer.issues);
  const issues = [
    ...shorthandIssues,
    ...(result.ok ? namedFileIssues(program, result.data, sourceOf) : result.issues)
      .filter((issue) => !shorthandIssues.some((s) => issue.path === s.path || issue.path.startsWith(`${s.path}.`)))
      .map((issue) => withHint(issue, program.shortcuts)),
  ];
  if (!result.ok || issues.length > 0) throw new ConfigError(issues);

  const config = result.data;
  const warnings = [...env.warnings];
  if (!config.redis) {
    warnings.push(`no redis.url: using the embedded in-process store, which keeps nothing across restarts (${program.keptInStore})`);
  }
  return { config, warnings, sources: sourcesOf(program.schema, config, flags.layer, env.layer, file) };
}

function fileLayer(file: string | undefined, cwd: string): Layer {
  if (file === undefined) return new Layer('file', cwd);
  const path = resolve(cwd, file);
  const layer = new Layer('file', dirname(path));
  const content = readSettingsFile(path) ?? {};
  if (!isPlainObject(content)) throw ConfigError.of(path, `expected a mapping of settings, got ${Array.isArray(content) ? 'a list' : typeof content}`);
  layer.set([], content, path);
  return layer;
}

/** A layer's values with relative file paths made absolute against the layer's base directory. */
function resolvedPaths(schema: z.ZodType, layer: Layer): Record<string, unknown> {
  return mapPathStrings(schema, layer.values, (p) => resolve(layer.baseDir, p)) as Record<string, unknown>;
}

function withHint(issue: ConfigIssue, shortcuts: readonly Shortcut[]): ConfigIssue {
  const shortcut = shortcuts.find((s) => s.path.join('.') === issue.path);
  if (issue.reason !== 'required' || !shortcut) return issue;
  return { ...issue, reason: `required: set it in the file, with --${shortcut.flag} or with ${shortcut.env}` };
}

function sourcesOf(schema: z.ZodType, config: unknown, ...layers: Layer[]): Record<string, SettingSource> {
  const sources: Record<string, SettingSource> = {};
  for (const path of settingPaths(schema)) {
    if (valueAt(config, path) === undefined) continue;
    const key = path.join('.');
    sources[key] = layers.find((layer) => layer.sets(key))?.origin ?? 'default';
  }
  return sources;
}

function firstOf<T, R>(items: readonly T[], fn: (item: T) => R | undefined): R | undefined {
  for (const item of items) {
    const found = fn(item);
    if (found !== undefined) return found;
  }
  return undefined;
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, key) => (isPlainObject(v) ? v[key] : undefined), value);
}

/** Problems in the files the configuration names; a file that cannot be read is blamed on its setting. */
function namedFileIssues<S extends WithStore>(program: Program<S>, config: z.output<S>, sourceOf: SourceOf): ConfigIssue[] {
  return program.namedFiles.flatMap(({ path, check }) => {
    const file = valueAt(config, path);
    if (typeof file !== 'string') return [];
    try {
      check(file);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const source = sourceOf(path);
      const setting = path.join('.');
      return err.issues.map((issue): ConfigIssue => {
        if (issue.path !== file) return issue;
        const reason = `${file}: ${issue.reason}`;
        return source === undefined ? { path: setting, reason } : { path: setting, reason, source };
      });
    }
  });
}

/**
 * Command-line flags (node:util parseArgs, strict): `--config FILE` plus one flag per shortcut. An unknown
 * flag or a stray argument is a ConfigError listing the flags there are.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';
import { Layer } from './layers.js';
import { applyShortcut, type Shortcut } from './shortcuts.js';

export interface ParsedFlags {
  layer: Layer;
  configFile: string | undefined;
}

export function parseFlags(argv: readonly string[], shortcuts: readonly Shortcut[], cwd: string): ParsedFlags {
  const options = Object.fromEntries([
    ['config', { type: 'string' as const }],
    ...shortcuts.map((s) => [s.flag, { type: 'string' as const, multiple: s.multiple === true }]),
  ]);
  let values: Record<string, string | string[] | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw flagError(err, Object.keys(options));
  }
  const layer = new Layer('flag', cwd);
  for (const shortcut of shortcuts) {
    const value = values[shortcut.flag];
    if (value === undefined) continue;
    const texts = (Array.isArray(value) ? value : [value]).map(String);
    applyShortcut(layer, shortcut, texts, `--${shortcut.flag}`);
  }
  const config = values['config'];
  return { layer, configFile: typeof config === 'string' ? config : undefined };
}

function flagError(err: unknown, flags: readonly string[]): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const known = flags.map((f) => `--${f}`).join(', ');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return ConfigError.of(quoted, `unknown flag (known flags: ${known})`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return ConfigError.of(quoted, `unexpected argument (known flags: ${known})`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return ConfigError.of(quoted.split(' ')[0] ?? quoted, 'missing value');
  return ConfigError.of('(flags)', message);
}

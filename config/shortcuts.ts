/**
 * The common settings' short forms (DESIGN §4): a flag (`--sip udp:0.0.0.0:5060`, repeatable) and a short
 * environment variable (`HOPTRACE_SIP`, a comma list), so that a site can start with no file at all.
 */
import type { Layer } from './layers.js';

export interface Shortcut {
  /** Flag name without the dashes. */
  flag: string;
  /** The short environment variable; every setting also has its long form (HOPTRACE_SIP__LISTEN). */
  env: string;
  path: readonly string[];
  /** A list setting: the flag repeats, the variable is a comma list. */
  multiple?: boolean;
  /** Turns one shorthand value into the setting's value (`ribbon:/dir` → `{ format, dir }`). */
  expand?: (text: string) => unknown;
}

/** A shorthand value that cannot be expanded; the schema validates everything else. */
export class ShortcutError extends Error {
  override readonly name = 'ShortcutError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Set `shortcut`'s setting in `layer` from its texts; a bad shorthand becomes an issue of the layer. */
export function applyShortcut(layer: Layer, shortcut: Shortcut, texts: readonly string[], source: string): void {
  const values = texts.map((text, i) => {
    try {
      return shortcut.expand ? shortcut.expand(text) : text;
    } catch (err) {
      if (!(err instanceof ShortcutError)) throw err;
      const at = shortcut.multiple ? `[${i}]` : '';
      layer.issues.push({ path: `${shortcut.path.join('.')}${at}`, reason: err.reason, source });
      return text;
    }
  });
  layer.set(shortcut.path, shortcut.multiple ? values : values[values.length - 1], source);
}

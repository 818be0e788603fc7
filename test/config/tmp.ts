import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ConfigError } from '../../config/errors.js';

/** A scratch directory for one test file, removed after its tests; `write` returns the file's path. */
export function scratchDir(): { dir: string; write: (name: string, content: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

/** The ConfigError a call throws (fails the test when it does not throw one). */
export function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, but the call succeeded');
}

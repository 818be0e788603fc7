import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function run(flags: string[]): string {
  const code = `const { releaseGarbage } = await import('./config/heap.ts'); console.log(releaseGarbage())`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...flags, '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('releaseGarbage', () => {
  it('collects when node runs with --expose-gc (the Docker image)', () => {
    expect(run(['--expose-gc'])).toBe('true');
  });

  it('does nothing, and says so, without it', () => {
    expect(run([])).toBe('false');
  });
});

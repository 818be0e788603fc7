import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function run(flags: string[], code = `const { releaseGarbage } = await import('./config/heap.ts'); console.log(releaseGarbage())`): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...flags, '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('releaseGarbage', () => {
  it('collects when node runs with --expose-gc (the Docker image)', () => {
    expect(run(['--expose-gc'])).toBe('true');
  });

  it('hands back the pages a bulky step left sparse (live objects interleaved with its dead ones)', () => {
    // 3 M strings of which every 50th stays live: ~75 MB of old generation with ~5 MB live on it, as a full
    // DNO sync leaves it. The committed heap afterwards, MB.
    const code = `
      const { releaseGarbage } = await import('./config/heap.ts');
      let all = [];
      for (let i = 0; i < 3e6; i++) all.push('+1' + (2002000000 + i));
      const live = all.filter((_, i) => i % 50 === 0);
      all = null;
      releaseGarbage();
      console.log(Math.round(process.memoryUsage().heapTotal / 1048576), live.length);`;
    const [committed, live] = run(['--expose-gc', '--max-semi-space-size=2'], code).split(' ').map(Number);
    expect(live).toBe(60_000);
    expect(committed).toBeLessThan(30);
  });

  it('does nothing, and says so, without it', () => {
    expect(run([])).toBe('false');
  });
});

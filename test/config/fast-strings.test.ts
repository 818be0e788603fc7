import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Runs a snippet in a fresh process (the slow prototype is process-wide) and reads what it printed. */
function probe(code: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--allow-natives-syntax', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('fast strings after loading ioredis', () => {
  it('loading ioredis alone leaves String.prototype in dictionary mode (the cliff this module exists for)', () => {
    expect(probe(`await import('ioredis'); console.log(%HasFastProperties(String.prototype))`)).toBe('false');
  });

  it('importing config/fast-strings restores fast properties, and says it did', () => {
    const out = probe(`const m = await import('./config/fast-strings.ts'); console.log(m.restoredFastStrings, %HasFastProperties(String.prototype))`);
    expect(out).toBe('true true');
  });

  it('leaves the natives flag off afterwards: %-calls compiled later are refused', () => {
    const out = probe(`await import('./config/fast-strings.ts'); try { new Function('return %HasFastProperties({})'); console.log('compiled') } catch (e) { console.log(e.name) }`);
    expect(out).toBe('SyntaxError');
  });
});

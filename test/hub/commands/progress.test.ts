/**
 * Progress of the long CLI jobs on stderr with --progress (config/progress.ts): a hub DNO import
 * (`hoptrace-hub dno import`), a site's local DNO import (`hoptrace-agent dno import`) and a campaign of
 * tracebacks (`hoptrace-hub trace --file --wait`). Each command is a process of its own; results stay on stdout.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/proc.js';
import { type DnoHub, startDnoHub } from '../../helpers/dno-hub.js';
import { provider, type ScriptedAgent, startScriptedAgent, startTestHub, type TestHub } from '../harness.js';

const SLOW = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'hoptrace-progress-'));

/** Runs a CLI to its end: exit code, stdout and stderr apart. */
async function run(script: 'agent/cli.ts' | 'hub/cli.ts', args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runCli(script, args, env);
  let stdout = '';
  let stderr = '';
  p.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  p.child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => p.child.once('close', resolve));
  return { code, stdout, stderr };
}

/** `n` distinct numbers, one a line. */
function numbers(n: number): string {
  let text = '';
  for (let i = 0; i < n; i++) text += `+1202${String(5_000_000 + i).padStart(7, '0')}\n`;
  return text;
}

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('hoptrace-hub with --progress', () => {
  let dnoHub: DnoHub;
  let t: TestHub;
  const agents: ScriptedAgent[] = [];
  beforeAll(async () => {
    [dnoHub, t] = await Promise.all([startDnoHub(), startTestHub()]);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.all([dnoHub?.stop(), t?.stop()]);
  });

  it('dno import: lines uploaded of the total, then the wait while the hub applies them', async () => {
    const list = file('hub-list.txt', numbers(20_000));
    const r = await run('hub/cli.ts', ['dno', 'import', list, '--category', 'listed', '--progress'], { HOPTRACE_HUB_URL: dnoHub.url, HOPTRACE_TOKEN: dnoHub.tokens.ops });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('version 1: import added 20000, removed 0\n');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(0)).toMatch(/^dno import: uploading [\d,]+\/20,000 lines \(\d+%, /);
    expect(lines).toContainEqual(expect.stringMatching(/^dno import: uploading 20,000\/20,000 lines \(100%, [\d,]+ lines\/s, \d+\.\d s\)$/));
    expect(lines.at(-1)).toMatch(/^dno import: applying on the hub \(\d+\.\d s\)$/);
    expect((await dnoHub.api().summary()).total).toBe(20_000);
  }, SLOW);

  it('dno import without --progress and without a terminal prints no progress', async () => {
    const r = await run('hub/cli.ts', ['dno', 'import', file('hub-list-2.txt', numbers(10)), '--category', 'listed'], { HOPTRACE_HUB_URL: dnoHub.url, HOPTRACE_TOKEN: dnoHub.tokens.ops });
    expect(r).toMatchObject({ code: 0, stderr: '' });
  }, SLOW);

  it('trace --file --wait: tracebacks started of the total, then ended of the total, then the graph', async () => {
    agents.push(startScriptedAgent(t, 'pg-term', () => ({ result: 'upstream', upstream: 'pg-orig' })));
    agents.push(startScriptedAgent(t, 'pg-orig', () => ({ result: 'originated' })));
    for (const a of agents) await t.api().addProvider(provider(a.id, a.key));
    const rows = Array.from({ length: 12 }, (_, i) => `+1312555${String(1000 + i)},+12025550143,2026-11-28T12:00:${String(i).padStart(2, '0')}Z,pg-term`);
    const csv = file('calls.csv', `calling,called,at,from\n${rows.join('\n')}\n`);
    const r = await run('hub/cli.ts', ['trace', '--campaign', 'pg-camp', '--file', csv, '--wait', '--progress'], { HOPTRACE_HUB_URL: t.url, HOPTRACE_TOKEN: t.tokens.admin });
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    expect(out.slice(0, 12).every((l) => /^[0-9a-f-]{36}\topen$/.test(l))).toBe(true);
    expect(out.slice(12)).toEqual(['campaign pg-camp: 12 traceback(s) started', 'campaign pg-camp: 12 traceback(s) — originated 12', '  pg-orig          → pg-term              12 call(s)  originated 12', '  ended at pg-orig: originated 12']);
    const err = r.stderr.trimEnd().split('\n');
    expect(err).toContainEqual(expect.stringMatching(/^campaign pg-camp: starting 12\/12 tracebacks \(100%, [\d,]+ tracebacks\/s, \d+\.\d s\)$/));
    expect(err.at(-1)).toMatch(/^campaign pg-camp: ended 12\/12 tracebacks \(100%, /);
  }, SLOW);
});

describe('hoptrace-agent dno import --progress', () => {
  it('reports lines read, then entries merged into the list, then the write', async () => {
    const listFile = join(dir, 'site-list.txt');
    const r = await run('agent/cli.ts', ['dno', 'import', file('site-import.txt', numbers(30_000)), '--dno-file', listFile, '--progress']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${listFile}: added 30000, removed 0\n`);
    const steps = r.stderr.trimEnd().split('\n');
    expect(steps).toContainEqual(expect.stringMatching(/^dno import: reading 30,000\/30,000 lines \(100%, [\d,]+ lines\/s, \d+\.\d s\)$/));
    expect(steps).toContainEqual(expect.stringMatching(/^dno import: merging 30,000\/30,000 lines \(100%, /));
    expect(steps.at(-1)).toMatch(/^dno import: writing \(\d+\.\d s\)$/);
    expect(readFileSync(listFile, 'utf8').trimEnd().split('\n').filter((l) => l.startsWith('+1202'))).toHaveLength(30_000);
  }, SLOW);

  it('a refused import shows its progress so far, prints every bad line, and leaves the list unchanged', async () => {
    const listFile = file('site-list-2.txt', '+12025550100,unassigned\n');
    const r = await run('agent/cli.ts', ['dno', 'import', file('bad-import.txt', '+12025550101\nnot-a-number\n'), '--dno-file', listFile, '--progress']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('line 2');
    expect(r.stderr).toMatch(/^dno import: reading 1\/2 lines/);
    expect(readFileSync(listFile, 'utf8')).toBe('+12025550100,unassigned\n');
  }, SLOW);
});

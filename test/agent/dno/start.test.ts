/** The agent's DNO part without a hub: the local list file, kept current while the agent runs, and metrics. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { localDnoCommand } from '../../../agent/dno/command.js';
import { type RunningDno, startDno } from '../../../agent/dno/start.js';
import { AgentConfig } from '../../../config/agent.js';
import { silent } from '../../helpers/dno-hub.js';

let dno: RunningDno | undefined;
afterEach(async () => {
  await dno?.stop();
  dno = undefined;
});

async function until(ms: number, check: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('startDno with a local list and no hub', () => {
  it('decides with the local list, picks an edit up while running, and keeps the last good list when an edit is bad', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hoptrace-dno-')), 'local.csv');
    writeFileSync(file, '+12025550100,unassigned,spare\n');
    const metrics = new Registry();
    dno = await startDno(AgentConfig.parse({ provider: 'site-a', dno: { file } }), { metrics, log: silent });
    expect(dno.sync).toBeNull();
    expect(dno.live.snapshot.lookup('+12025550100')?.category).toBe('unassigned');

    await localDnoCommand(['add', '+12025550101', '--category', 'listed', '--dno-file', file], () => undefined);
    await until(5000, () => dno!.live.snapshot.lookup('+12025550101') !== null);
    expect(dno.live.snapshot.lookup('+12025550101')?.category).toBe('listed');
    expect(await metrics.metrics()).toMatch(/hoptrace_dno_list_entries\{category="listed"\} 1\b/);

    writeFileSync(file, '+12025550102\nnot a number\n');
    await new Promise((r) => setTimeout(r, 2500));
    expect(dno.live.snapshot.lookup('+12025550101')?.category).toBe('listed');
    expect(dno.live.snapshot.lookup('+12025550102')).toBeNull();
  });

  it('fails at start on a local list with bad lines, naming them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hoptrace-dno-')), 'local.csv');
    writeFileSync(file, '+12025550100\nhello\n');
    await expect(startDno(AgentConfig.parse({ provider: 'site-a', dno: { file } }), { metrics: new Registry(), log: silent })).rejects.toThrow(
      'line 2: not a phone number: "hello": "hello"',
    );
  });
});

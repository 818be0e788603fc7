import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileKey } from '../../../agent/cdr/identity.js';
import { MAX_CANDIDATES, rotatedCandidates } from '../../../agent/cdr/rotated.js';

const dir = mkdtempSync(join(tmpdir(), 'hoptrace-rotated-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CALL_AT = Date.parse('2026-11-28T12:00:00Z');
function file(name: string, mtimeMs: number): string {
  const path = join(dir, name);
  writeFileSync(path, name);
  utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
  return path;
}

describe('where a rotated CDR file may be', () => {
  it('puts the same file (dev:ino) first, then files written since the call oldest first, then older ones; never other stems', async () => {
    const renamed = file('calls.act.3', CALL_AT - 86_400_000);
    file('calls.act.1.gz', CALL_AT + 7_200_000);
    file('calls.act.2.gz', CALL_AT + 3_600_000);
    file('calls.act-old', CALL_AT - 3_600_000);
    file('calls.closed', CALL_AT + 60_000);
    file('other.act', CALL_AT + 1000);
    const key = fileKey(statSync(renamed, { bigint: true }));
    const found = await rotatedCandidates(dir, 'calls.act', key, CALL_AT);
    expect(found).toEqual([
      { path: renamed, sameFile: true },
      { path: join(dir, 'calls.closed'), sameFile: false },
      { path: join(dir, 'calls.act.2.gz'), sameFile: false },
      { path: join(dir, 'calls.act.1.gz'), sameFile: false },
      { path: join(dir, 'calls.act-old'), sameFile: false },
    ]);
  });

  it(`looks at no more than ${MAX_CANDIDATES} names in a directory of many rotations, the nearest names first`, async () => {
    const many = mkdtempSync(join(dir, 'many-'));
    // Hourly dated rotations for two weeks, and numbered ones.
    const hours = Array.from({ length: 336 }, (_, h) => new Date(CALL_AT - h * 3_600_000).toISOString().slice(0, 13).replace(/\D/g, ''));
    for (const h of hours) writeFileSync(join(many, `Master.csv.${h}`), '');
    for (let i = 1; i <= 9; i++) writeFileSync(join(many, `Master.csv.${i}`), '');
    const found = (await rotatedCandidates(many, 'Master.csv', undefined, CALL_AT)).map((c) => c.path);
    expect(found).toHaveLength(MAX_CANDIDATES);
    expect(found).toContain(join(many, 'Master.csv.1'));
    expect(found).toContain(join(many, `Master.csv.${hours[0]}`));
    expect(found).not.toContain(join(many, `Master.csv.${hours.at(-1)}`));
  });

  it('finds nothing in a directory that cannot be read', async () => {
    expect(await rotatedCandidates(join(dir, 'no-such-dir'), 'calls.act', undefined, CALL_AT)).toEqual([]);
  });
});

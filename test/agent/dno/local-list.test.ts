import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localDnoCommand } from '../../../agent/dno/command.js';
import { DnoFileError } from '../../../agent/dno/file-error.js';
import { parseListFile } from '../../../agent/dno/listfile.js';
import { addEntries, importText, removeTargets } from '../../../agent/dno/local-list.js';

const FILE = '/etc/hoptrace/dno-local.csv';
const kept = '# our spare DIDs\nnumber,category,reason\n+12025550100,unassigned,pool A\n\n+1900*,listed\n';

describe('local DNO list edits', () => {
  it('appends new entries and rewrites one already there in place, keeping every other line as it was', () => {
    const edit = addEntries(kept, FILE, [
      { number: '+12025550100', category: 'unassigned', reason: 'pool B, bldg "C"' },
      { number: '+12025550101', category: 'unassigned' },
    ]);
    expect(edit).toMatchObject({ added: 1, removed: 0 });
    expect(edit.text).toBe(
      '# our spare DIDs\nnumber,category,reason\n+12025550100,unassigned,"pool B, bldg ""C"""\n\n+1900*,listed\n+12025550101,unassigned,\n',
    );
    expect(parseListFile(edit.text, FILE).map((e) => [e.number ?? e.prefix, e.category, e.reason])).toEqual([
      ['+12025550100', 'unassigned', 'pool B, bldg "C"'],
      ['+1900', 'listed', undefined],
      ['+12025550101', 'unassigned', undefined],
    ]);
  });

  it('removes a target from every category, or from the one named', () => {
    const text = addEntries(kept, FILE, [{ number: '+12025550100', category: 'listed' }]).text;
    expect(removeTargets(text, FILE, '+12025550100,listed', 'cli').text).toBe(kept);
    const all = removeTargets(text, FILE, '2025550100', 'cli');
    expect(all.removed).toBe(2);
    expect(all.text).toBe('# our spare DIDs\nnumber,category,reason\n\n+1900*,listed\n');
  });

  it('refuses a removal of what is not in the file, naming every such target', () => {
    const err = (() => {
      try {
        removeTargets(kept, FILE, '+12025550100\n+12025550199\n+1900*,unassigned', 'cli');
      } catch (e) {
        return e as DnoFileError;
      }
    })();
    expect(err).toBeInstanceOf(DnoFileError);
    expect(err?.errors).toEqual([
      { line: 2, text: '+12025550199', reason: `not in ${FILE}` },
      { line: 3, text: '+1900*', reason: `not in ${FILE}` },
    ]);
  });

  it('refuses an import with bad lines whole unless asked to apply the good ones', () => {
    const incoming = '+12025550150\nnonsense\n+12025550151,listed,inbound only\n';
    expect(() => importText(kept, FILE, incoming, 'in.csv', {})).toThrow('in.csv: 1 bad line(s), nothing loaded');
    const edit = importText(kept, FILE, incoming, 'in.csv', { category: 'unassigned', applyGood: true });
    expect(edit.added).toBe(2);
    expect(edit.skipped).toEqual([{ line: 2, text: 'nonsense', reason: 'not a phone number: "nonsense"' }]);
    expect(edit.text.endsWith('+12025550150,unassigned,\n+12025550151,listed,inbound only\n')).toBe(true);
  });

  it('refuses to edit a file that has bad lines itself', () => {
    expect(() => addEntries('+12025550100\nbroken\n', FILE, [{ number: '+12025550101', category: 'unassigned' }])).toThrow(
      `${FILE}: 1 bad line(s), nothing loaded`,
    );
  });
});

describe('hoptrace-agent dno', () => {
  const run = async (...args: string[]) => {
    let out = '';
    const code = await localDnoCommand(args, (s) => (out += s));
    return { code, out };
  };

  it('adds the site’s spare numbers as unassigned, lists, removes, and leaves the file alone when refused', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hoptrace-dno-')), 'local.csv');
    expect(await run('add', '2025550100', '+12025550101', '--reason', 'spare pool', '--dno-file', file)).toEqual({
      code: 0,
      out: `${file}: added 2, removed 0\n`,
    });
    expect((await run('list', '--dno-file', file)).out).toBe('+12025550100,unassigned,spare pool\n+12025550101,unassigned,spare pool\n');
    const refused = await run('remove', '+12025550199', '--dno-file', file);
    expect(refused).toEqual({ code: 1, out: `refused: the command line: 1 bad line(s); ${file} is unchanged\n  line 1: not in ${file}: "+12025550199"\n` });
    const before = readFileSync(file, 'utf8');
    expect((await run('remove', '+12025550100', '--dno-file', file)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(before.replace('+12025550100,unassigned,spare pool\n', ''));

    const incoming = join(mkdtempSync(join(tmpdir(), 'hoptrace-dno-')), 'in.txt');
    writeFileSync(incoming, '+12025550160\nbad\n');
    expect((await run('import', incoming, '--dno-file', file)).code).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(before.replace('+12025550100,unassigned,spare pool\n', ''));
  });
});

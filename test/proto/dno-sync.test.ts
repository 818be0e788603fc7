import { describe, expect, it } from 'vitest';
import { DnoSyncError, DnoSyncReader, DnoSyncWriter, entriesOf } from '../../proto/dno-sync.js';
import { parseTarget, targetText } from '../../proto/dno-target.js';

function stream(): { lines: string[]; seal: ReturnType<DnoSyncWriter['sealBody']> } {
  const w = new DnoSyncWriter();
  const lines = [
    w.head({ version: 12, full: false, since: 11, at: '2026-11-28T12:00:00.000Z' }),
    w.group({ op: 'remove', category: 'listed', targets: ['+12025550100'] }),
    w.group({ op: 'add', category: 'unassigned', reason: 'spare', source: 'hub', targets: ['+12025550101', '+1900*', '+13015550100-+13015550199'] }),
  ];
  const seal = w.sealBody();
  lines.push(w.end('the.signed.seal'));
  return { lines: lines.map((l) => l.slice(0, -1)), seal };
}

describe('DNO sync stream', () => {
  it('reads back what was written, and the seal covers exactly that', () => {
    const { lines, seal } = stream();
    expect(seal).toMatchObject({ version: 12, full: false, since: 11, groups: 2, entries: 4 });
    const r = new DnoSyncReader();
    const items = lines.map((l) => r.read(l));
    expect(items.map((i) => (i.kind === 'group' ? { kind: i.kind, op: i.group.op, entries: entriesOf(i.group) } : i))).toEqual([
      { kind: 'head', head: { version: 12, full: false, since: 11, at: '2026-11-28T12:00:00.000Z' } },
      { kind: 'group', op: 'remove', entries: [{ number: '+12025550100', category: 'listed' }] },
      {
        kind: 'group',
        op: 'add',
        entries: [
          { number: '+12025550101', category: 'unassigned', reason: 'spare', source: 'hub' },
          { prefix: '+1900', category: 'unassigned', reason: 'spare', source: 'hub' },
          { range: { from: '+13015550100', to: '+13015550199' }, category: 'unassigned', reason: 'spare', source: 'hub' },
        ],
      },
      { kind: 'end', jws: 'the.signed.seal' },
    ]);
    r.checkSeal(seal);
  });

  it('a changed byte, a dropped group or a seal for another version fails the seal check', () => {
    const { lines, seal } = stream();
    const tampered = new DnoSyncReader();
    [lines[0]!, lines[1]!.replace('0100', '0199'), lines[2]!, lines[3]!].forEach((l) => tampered.read(l));
    expect(() => tampered.checkSeal(seal)).toThrow('line 4: the SHA-256 of the stream does not match its seal');

    const short = new DnoSyncReader();
    [lines[0]!, lines[2]!, lines[3]!].forEach((l) => short.read(l));
    expect(() => short.checkSeal(seal)).toThrow('the seal counts 4 entries in 2 groups, the stream had 3 in 1');

    const other = new DnoSyncReader();
    lines.forEach((l) => other.read(l));
    expect(() => other.checkSeal({ ...seal, version: 13 })).toThrow('the seal is for version 13, the head says 12');
  });

  it('names the line and field of a malformed stream', () => {
    const r = new DnoSyncReader();
    r.read('{"version":1,"full":true}');
    expect(() => r.read('{"op":"add","category":"spam","targets":[]}')).toThrow(
      new DnoSyncError(2, 'category: Invalid option: expected one of "listed"|"invalid"|"unallocated"|"unassigned"'),
    );
    expect(() => r.read('{"op":"add","category":"listed","targets":["+0123"]}')).toThrow(
      'DNO sync stream, line 3: targets[0]: a number must be E.164, e.g. +12025550143',
    );
    expect(() => r.read('not json')).toThrow('DNO sync stream, line 4: not JSON');
  });
});

describe('DNO targets as text', () => {
  it.each([
    ['+12025550100', { number: '+12025550100' }],
    ['+1900*', { prefix: '+1900' }],
    ['+13015550100-+13015550199', { range: { from: '+13015550100', to: '+13015550199' } }],
    ['+13015550199-+13015550100', 'a range needs from and to of equal length and from <= to'],
    ['+1301555010-+13015550199', 'a range needs from and to of equal length and from <= to'],
    ['+0*', 'a prefix is + and 1-15 digits, then *'],
    ['12025550100', 'a number must be E.164, e.g. +12025550143'],
    ['+1202-x', 'a range is two E.164 numbers joined by -'],
  ])('%s → %j', (text, parsed) => {
    expect(parseTarget(text)).toEqual(parsed);
    if (typeof parsed !== 'string') expect(targetText(parsed)).toBe(text);
  });
});

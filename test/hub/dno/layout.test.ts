import { describe, expect, it } from 'vitest';
import { collectListed, formatDelta, mintPayloadIds, NetDelta, payloadId, rewriteBucket, versionOfPayload } from '../../../hub/dno/layout.js';

describe('payload ids', () => {
  it('name the version that minted them, in base 36', () => {
    expect(payloadId(100, 0)).toBe('2s');
    expect(payloadId(100, 11)).toBe('2s.b');
    expect(versionOfPayload('2s')).toBe(100);
    expect(versionOfPayload('2s.b')).toBe(100);
  });

  it('are minted once per distinct payload of a change', () => {
    expect([...mintPayloadIds(7, ['', '{"source":"a"}', '', '{"source":"b"}'])]).toEqual([
      ['', '7'],
      ['{"source":"a"}', '7.1'],
      ['{"source":"b"}', '7.2'],
    ]);
  });
});

describe('NetDelta', () => {
  it('folds changes so the last thing done to each field wins', () => {
    const d = new NetDelta()
      .fold(formatDelta(new Map([['l1', 'a'], ['l2', 'a']]), []))
      .fold(formatDelta(new Map(), ['l1']))
      .fold(formatDelta(new Map([['l3', 'c']]), ['l2']))
      .fold(formatDelta(new Map([['l2', 'd']]), []));
    expect([...d.add]).toEqual([['l3', 'c'], ['l2', 'd']]);
    expect([...d.remove]).toEqual(['l1']);
    expect(d.size).toBe(3);
  });
});

describe('bucket rewrite', () => {
  const text = 'l12025550100\t1\nl12025550101\t1\n';

  it('appends new fields without touching the lines there', () => {
    expect(rewriteBucket(text, new Map([['l12025550102', '2']]), () => false)).toBe(`${text}l12025550102\t2\n`);
    expect(rewriteBucket(null, new Map([['u1900*', '2']]), () => false)).toBe('u1900*\t2\n');
  });

  it('replaces and deletes lines in place, keeping the others', () => {
    const writes = new Map<string, string | null>([['l12025550100', null], ['l12025550101', '3'], ['l12025550109', '3']]);
    expect(rewriteBucket(text, writes, (f) => f !== 'l12025550109')).toBe('l12025550101\t3\nl12025550109\t3\n');
    expect(rewriteBucket(text, new Map([['l12025550100', null], ['l12025550101', null]]), () => true)).toBe('');
  });

  it('finds which wanted fields a bucket holds', () => {
    const found = new Set<string>();
    collectListed(text, new Set(['l12025550101', 'l12025550199', 'l1202555010']), found);
    expect([...found]).toEqual(['l12025550101']);
  });
});

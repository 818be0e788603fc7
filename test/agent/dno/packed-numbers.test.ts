import { describe, expect, it } from 'vitest';
import { NumberPacker } from '../../../agent/dno/packed-numbers.js';

/** The same numbers, in a scrambled order, with some repeated. */
function filled(count: number): NumberPacker {
  const packer = new NumberPacker(count);
  for (let i = 0; i < count; i++) packer.add(12_000_000_000 + ((i * 7_919) % count), i % 3 === 0 ? 3 : 2, i % 5);
  return packer;
}

describe('packed numbers', () => {
  it('sorting on a worker thread packs exactly what sorting in place packs, and the event loop keeps running', async () => {
    const count = 400_000;
    const inPlace = filled(count).pack();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const offThread = await filled(count).packOffThread();
    clearInterval(timer);
    expect(offThread.count).toBe(inPlace.count);
    for (let i = 0; i < inPlace.count; i += 997) {
      expect([offThread.digitsAt(i), offThread.categoryAt(i), offThread.metaAt(i)]).toEqual([inPlace.digitsAt(i), inPlace.categoryAt(i), inPlace.metaAt(i)]);
    }
    expect(offThread.countByCategory()).toEqual(inPlace.countByCategory());
    expect(ticks).toBeGreaterThan(0);
  });

  it('keeps one word per number and category, the category with precedence first', () => {
    const packer = new NumberPacker();
    for (const [digits, category] of [[12025550100, 3], [12025550100, 2], [12025550100, 3], [12025550101, 3]] as const) packer.add(digits, category, 0);
    const packed = packer.pack();
    expect(packed.count).toBe(3);
    const first = packed.first(12025550100);
    expect([packed.categoryAt(first), packed.categoryAt(first + 1)]).toEqual([2, 3]);
    expect(packed.has(12025550100, 3)).toBe(true);
    expect(packed.has(12025550101, 2)).toBe(false);
    expect(packed.first(12025550099)).toBe(-1);
    expect(packed.first(12025550102)).toBe(-1);
    expect(packed.countByCategory()).toEqual([0, 0, 1, 1]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTRY_BYTES, e164Digits, readEntry, writeEntry, type Entry } from '../../../agent/calls/codec.js';
import { E164 } from '../../../proto/messages.js';

describe('call index entry codec', () => {
  it('round-trips every field at its extremes in 34 bytes', () => {
    const entries: Entry[] = [
      { called: 999_999_999_999_999, calling: 100_000_000_000_000, offsetMs: 2 ** 32 - 1, ingressId: 2 ** 24 - 1, identityId: 2 ** 24 - 1, sourceId: 255, flags: 255, fileId: 2 ** 24 - 1, lineOffset: 2 ** 40 - 1 },
      { called: 1_000_000, calling: 0, offsetMs: 0, ingressId: 1, identityId: 0, sourceId: 1, flags: 0, fileId: 0, lineOffset: 0 },
      { called: 2_025_550_143, calling: 3_125_550_117, offsetMs: 1, ingressId: 2, identityId: 3, sourceId: 4, flags: 5, fileId: 6, lineOffset: 2 ** 32 + 7 },
    ];
    const buf = Buffer.alloc(entries.length * ENTRY_BYTES);
    entries.forEach((e, i) => writeEntry(buf, i * ENTRY_BYTES, e));
    expect(ENTRY_BYTES).toBe(34);
    expect(entries.map((_, i) => readEntry(buf, i * ENTRY_BYTES))).toEqual(entries);
  });

  it('packs exactly the numbers proto E164 accepts, and their digits read back as the number', () => {
    const candidates = fc.oneof(
      fc.stringMatching(/^\+[0-9]{0,17}$/),
      fc.string({ maxLength: 18 }),
      fc.integer({ min: 1_000_000, max: 999_999_999_999_999 }).map((n) => `+${n}`),
    );
    fc.assert(
      fc.property(candidates, (text) => {
        const digits = e164Digits(text);
        expect(digits >= 0).toBe(E164.safeParse(text).success);
        if (digits >= 0) expect(`+${digits}`).toBe(text);
      }),
      { numRuns: 5000 },
    );
  });
});

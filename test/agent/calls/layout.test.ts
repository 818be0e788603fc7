import { describe, expect, it } from 'vitest';
import { CallIndexInputError } from '../../../agent/calls/errors.js';
import { bucketExpiresAt, bucketsCovering, layoutOf, MAX_LOOKUP_BUCKETS, shardOf } from '../../../agent/calls/layout.js';

describe('call index layout', () => {
  it.each([
    [{ retentionDays: 30, bucketSec: 0 }, 'bucketSec: must be a whole number of ms between 0.001 and 4294967.295 s (got 0)'],
    [{ retentionDays: 30, bucketSec: 0.0005 }, 'bucketSec: must be a whole number of ms'],
    [{ retentionDays: 0, bucketSec: 3600 }, 'retentionDays: must be a positive number (got 0)'],
    [{ retentionDays: 30, bucketSec: 3600, shards: 0 }, 'shards: must be an integer between 1 and 65536 (got 0)'],
  ])('rejects %o with a clear error', (options, message) => {
    expect(() => layoutOf(options)).toThrow(CallIndexInputError);
    expect(() => layoutOf(options)).toThrow(message);
  });

  it('keeps a bucket until retention after its last millisecond', () => {
    const layout = layoutOf({ retentionDays: 1, bucketSec: 3600 });
    expect(bucketExpiresAt(layout, 10)).toBe(11 * 3_600_000 + 86_400_000);
  });

  it('covers a window with every bucket it touches, edges included, and refuses a window over the bound', () => {
    const layout = layoutOf({ retentionDays: 1, bucketSec: 60 });
    expect(bucketsCovering(layout, 59_999, 120_000)).toEqual([0, 1, 2]);
    expect(() => bucketsCovering(layout, 0, MAX_LOOKUP_BUCKETS * 60_000)).toThrow(
      `lookup.window: spans ${MAX_LOOKUP_BUCKETS + 1} buckets, more than ${MAX_LOOKUP_BUCKETS}`,
    );
  });

  it('spreads called numbers over the shards', () => {
    const layout = layoutOf({ retentionDays: 1, bucketSec: 3600, shards: 64 });
    const counts = new Array<number>(64).fill(0);
    for (let n = 0; n < 64_000; n++) counts[shardOf(layout, `+1202${String(n).padStart(7, '0')}`)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});

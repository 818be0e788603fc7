import { describe, expect, it } from 'vitest';
import { ENTRY_BYTES } from '../../../agent/calls/codec.js';
import { layoutOf } from '../../../agent/calls/layout.js';
import { createMemoryCallIndex, MemoryBucketStore } from '../../../agent/calls/memory-index.js';
import { call, callIndexContract } from './contract.js';

callIndexContract('memory', (options) => createMemoryCallIndex(options));

describe('memory call index', () => {
  it('drops whole buckets from memory once they are past retention, without a lookup', async () => {
    const index = createMemoryCallIndex({ retentionDays: 1 / 86_400, bucketSec: 1 });
    try {
      const now = Date.now();
      await index.add([call({ at: now }), call({ at: now + 1000 })]);
      expect(index.heldBuckets()).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(now / 1000) * 1000 + 3000 - Date.now() + 1100));
      expect(index.heldBuckets()).toBe(0);
    } finally {
      await index.close();
    }
  });

  it('keeps answering for a bucket whose buffers were trimmed once closed, and takes late calls into it', async () => {
    const index = createMemoryCallIndex({ retentionDays: 1, bucketSec: 1 });
    try {
      const at = Math.floor(Date.now() / 1000) * 1000 - 5000;
      const calls = (first: number) => Array.from({ length: 40 }, (_, i) => call({ at: at + first + i }));
      await index.add(calls(0));
      await index.add(calls(40));
      index.sweep();
      const middle = at + 40;
      const found = await index.lookup('+12025550143', at, at + 80, 1000);
      expect(found.map((r) => Math.abs(r.at - middle))).toEqual([...found.map((r) => Math.abs(r.at - middle))].sort((a, b) => a - b));
      expect(new Set(found.map((r) => r.at))).toEqual(new Set([...calls(0), ...calls(40)].map((r) => r.at)));
      await index.add(calls(80));
      expect(await index.lookup('+12025550143', at, at + 999, 1000)).toHaveLength(120);
    } finally {
      await index.close();
    }
  });
});

describe('memory call index: bucket store', () => {
  it('drops a bucket at the earliest expiry any write computed for it, as Redis keys do (a lowered retention)', async () => {
    const store = new MemoryBucketStore(layoutOf({ retentionDays: 30, bucketSec: 3600 }));
    const write = (bucket: number, expiresAt: number) => ({ shard: 3, bucket, expiresAt, entries: Buffer.alloc(ENTRY_BYTES, 1), extras: [] });
    const now = Date.now();
    try {
      await store.append([write(1, now + 86_400_000), write(2, now - 1)]);
      await store.append([write(1, now - 1), write(2, now + 86_400_000)]);
      expect(await store.read(3, [1, 2])).toEqual([null, null]);
      store.sweep(now);
      expect(store.heldBuckets()).toBe(0);
    } finally {
      await store.close();
    }
  });
});

/**
 * Exact DNO numbers as one sorted array of 64-bit words: [E.164 digits: 50 bits][category: 2][meta id: 12].
 * 15 digits < 2^50, so a number is its own sort key: 3 million numbers take 24 MB, sort natively
 * (BigUint64Array, no comparator) and are searched through a Uint32Array view without BigInt. A block index of
 * every 64th number (a few hundred KB) stays in the CPU cache, so a search touches a handful of cache lines of
 * the big array instead of ~12 far apart.
 *
 * One word is kept per (number, category): the words of a number sit together, the category with precedence
 * (the lowest code) first, so a removal of one category (a hub delta) leaves the others to be found.
 */

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** The low 18 digit-bits share the low 32-bit word with the category (2 bits) and the meta id (12 bits). */
export const LOW_DIGITS = 2 ** 18;
export const META_MASK = 0xfff;
/** Numbers per block of the block index: 64 words are 512 bytes, 8 cache lines. */
const BLOCK = 64;
const FIRST_CAPACITY = 1024;
/** Fewer numbers than this are sorted on the event loop (a few milliseconds). */
const OFF_THREAD_FROM = 200_000;
/** Sorts the keys of the buffer it is handed, and hands the buffer back (moved, never copied). */
const SORT_WORKER = `require('node:worker_threads').parentPort.once('message', (buffer) => {
  new BigUint64Array(buffer).sort();
  require('node:worker_threads').parentPort.postMessage(buffer, [buffer]);
});`;

async function sortOffThread(keys: BigUint64Array): Promise<BigUint64Array> {
  // A small heap: the worker only sorts memory it is lent.
  const worker = new Worker(SORT_WORKER, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 } });
  try {
    const sorted = once(worker, 'message') as Promise<[ArrayBuffer]>;
    worker.postMessage(keys.buffer, [keys.buffer as ArrayBuffer]);
    return new BigUint64Array((await sorted)[0]);
  } finally {
    void worker.terminate();
  }
}

/** Fill ratio above which pack() keeps the array with its slack instead of copying it (repeats dropped). */
const SLACK_KEPT = 0.95;
/** Address space the packer reserves for its growing array: pages are used only as numbers are written. */
const MAX_NUMBERS = 2 ** 26;

/** ES2024's resizable ArrayBuffer: Node 20 has it, the project's TypeScript lib (ES2023) does not yet. */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, o: { maxByteLength: number }) => ResizableArrayBuffer;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('DNO snapshot needs a little-endian CPU');

/**
 * Collects words, then sorts them into PackedNumbers. The words are gathered in a resizable ArrayBuffer: it
 * grows in place (no copy, no abandoned smaller arrays) and is handed back to the system the moment the
 * packed copy exists, instead of lingering as garbage until a full GC (an idle agent may not run one for hours).
 */
export class NumberPacker {
  private readonly buffer: ResizableArrayBuffer;
  private keys: BigUint64Array;
  private words: Uint32Array;
  private count = 0;

  /** `expected`: about how many numbers will come (the first size of the array). */
  constructor(expected = 0) {
    const first = Math.min(MAX_NUMBERS, Math.max(FIRST_CAPACITY, Math.ceil(expected * 1.02)));
    this.buffer = new ResizableArrayBuffer(first * 8, { maxByteLength: MAX_NUMBERS * 8 });
    this.keys = new BigUint64Array(this.buffer, 0, first);
    this.words = new Uint32Array(this.buffer, 0, first * 2);
  }

  add(digits: number, category: number, meta: number): void {
    if (this.count === this.keys.length) this.grow();
    const hi = Math.floor(digits / LOW_DIGITS);
    const i = this.count++;
    this.words[2 * i + 1] = hi;
    this.words[2 * i] = (((digits - hi * LOW_DIGITS) << 14) | (category << 12) | meta) >>> 0;
  }

  /** Sort, keep the first word of each (number, category), and hand the words over. The packer is spent. */
  pack(): PackedNumbers {
    const keys = this.takeKeys();
    keys.sort();
    return packSorted(keys);
  }

  /**
   * pack(), with the sort (a second or more for millions of numbers) on a short-lived worker thread: the
   * policy server's event loop keeps answering INVITEs meanwhile. Small lists are sorted in place.
   */
  async packOffThread(): Promise<PackedNumbers> {
    if (this.count < OFF_THREAD_FROM) return this.pack();
    return packSorted(await sortOffThread(this.takeKeys()));
  }

  /** The keys written, as an array of their own; the packer's buffer is released. */
  private takeKeys(): BigUint64Array {
    const keys = this.keys.slice(0, this.count);
    this.buffer.resize(0);
    this.keys = new BigUint64Array(0);
    this.words = new Uint32Array(0);
    this.count = 0;
    return keys;
  }

  private grow(): void {
    const length = Math.min(MAX_NUMBERS, this.keys.length * 2);
    if (length === this.keys.length) throw new RangeError(`a DNO list part holds at most ${MAX_NUMBERS} numbers`);
    this.buffer.resize(length * 8);
    this.keys = new BigUint64Array(this.buffer, 0, length);
    this.words = new Uint32Array(this.buffer, 0, length * 2);
  }
}

/** Keep the first word of each (number, category) of sorted keys. */
function packSorted(keys: BigUint64Array): PackedNumbers {
  const n = keys.length;
  const w = new Uint32Array(keys.buffer, keys.byteOffset, n * 2);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const hi = w[2 * i + 1]!;
    const lo = w[2 * i]!;
    if (kept > 0 && w[2 * kept - 1] === hi && w[2 * kept - 2]! >>> 12 === lo >>> 12) continue;
    w[2 * kept] = lo;
    w[2 * kept + 1] = hi;
    kept++;
  }
  return new PackedNumbers(kept >= n * SLACK_KEPT ? w.subarray(0, 2 * kept) : w.slice(0, 2 * kept));
}

export class PackedNumbers {
  /** Words (one per number and category). */
  readonly count: number;
  private readonly blockIndex: Float64Array;

  /** `words`: pairs of (low word, high word), sorted and without repeated (number, category). */
  constructor(private readonly words: Uint32Array) {
    const count = words.length / 2;
    this.count = count;
    const index = new Float64Array(Math.ceil(count / BLOCK));
    for (let b = 0; b < index.length; b++) index[b] = this.digitsAt(b * BLOCK);
    this.blockIndex = index;
  }

  static readonly EMPTY = new PackedNumbers(new Uint32Array(0));

  digitsAt(i: number): number {
    return this.words[2 * i + 1]! * LOW_DIGITS + (this.words[2 * i]! >>> 14);
  }

  categoryAt(i: number): number {
    return (this.words[2 * i]! >>> 12) & 3;
  }

  metaAt(i: number): number {
    return this.words[2 * i]! & META_MASK;
  }

  /** Index of the first word of `digits` (its category with precedence), or -1. No allocation. */
  first(digits: number): number {
    const index = this.blockIndex;
    if (index.length === 0 || index[0]! > digits) return -1;
    let lo = 0;
    let hi = index.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (index[mid]! < digits) lo = mid;
      else hi = mid - 1;
    }
    // Block `lo` starts below `digits` (or is block 0): the first word of `digits` is in it or starts the next.
    lo *= BLOCK;
    hi = Math.min(lo + 2 * BLOCK, this.count) - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.digitsAt(mid) < digits) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.count && this.digitsAt(lo) === digits ? lo : -1;
  }

  /** Is (digits, category) here? */
  has(digits: number, category: number): boolean {
    for (let i = this.first(digits); i >= 0 && i < this.count && this.digitsAt(i) === digits; i++) {
      if (this.categoryAt(i) === category) return true;
    }
    return false;
  }

  /** Numbers per category code, each number counted once, in the category it resolves to. */
  countByCategory(): number[] {
    const counts = [0, 0, 0, 0];
    let last = -1;
    for (let i = 0; i < this.count; i++) {
      const digits = this.digitsAt(i);
      if (digits !== last) counts[this.categoryAt(i)]!++;
      last = digits;
    }
    return counts;
  }
}

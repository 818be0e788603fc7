/**
 * How the Redis DNO cache lays entries out (pure; redis-cache.ts does the I/O). Entries are spread by a hash of
 * their field (entry-codec.ts) over buckets of about 128; a bucket is one Redis string with one line per entry:
 *
 *   l12025550100          an entry without reason or source
 *   l12025550101\t3       an entry whose payload (reason, source) has id 3 in the generation's payload hash
 *
 * ~15 bytes per number, and a reader gets 128 entries per bulk reply instead of two replies per entry.
 * Small buckets keep a delta cheap: it rewrites only the buckets it touches.
 */
import { type EntryPayload, payloadOf } from './entry-codec.js';

const ENTRIES_PER_BUCKET = 128;
const MIN_BUCKETS = 16;
const MAX_BUCKETS = 65_536;
const NEWLINE = 10;
const TAB = 9;

/** A power of two giving about ENTRIES_PER_BUCKET entries per bucket. */
export function bucketsFor(entries: number): number {
  let b = MIN_BUCKETS;
  while (b < MAX_BUCKETS && b * ENTRIES_PER_BUCKET < entries) b *= 2;
  return b;
}

/** FNV-1a: cheap, and spreads consecutive numbers evenly over the buckets. */
export function bucketOf(field: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < field.length; i++) h = Math.imul(h ^ field.charCodeAt(i), 0x01000193);
  return (h >>> 0) & (buckets - 1);
}

/** Call `fn(field, payloadId)` for each line of a bucket ('' when the entry has no payload). */
export function eachLine(text: string | null, fn: (field: string, id: string) => void): void {
  if (!text) return;
  let from = 0;
  while (from < text.length) {
    let end = from;
    let tab = -1;
    for (; end < text.length; end++) {
      const c = text.charCodeAt(end);
      if (c === NEWLINE) break;
      if (c === TAB && tab < 0) tab = end;
    }
    if (tab < 0) fn(text.slice(from, end), '');
    else fn(text.slice(from, tab), text.slice(tab + 1, end));
    from = end + 1;
  }
}

/** A bucket as field → payload id. */
export function parseBucket(text: string | null): Map<string, string> {
  const bucket = new Map<string, string>();
  eachLine(text, (field, id) => bucket.set(field, id));
  return bucket;
}

export function formatBucket(bucket: ReadonlyMap<string, string>): string {
  let text = '';
  for (const [field, id] of bucket) text += id === '' ? `${field}\n` : `${field}\t${id}\n`;
  return text;
}

/**
 * Payload ids of one generation: short base-36 counters, reused for a payload the generation already has.
 * Writers hold the version under WATCH while they assign, so two writers never hand out the same id.
 */
export class PayloadIds {
  private readonly ids = new Map<string, string>([['', '']]);
  private next = 0;
  private added: string[] = [];
  private last: { reason?: string; source?: string; id: string } = { id: '' };

  /** `existing`: the generation's payload hash, id → JSON. */
  constructor(existing: Readonly<Record<string, string>> = {}) {
    for (const [id, json] of Object.entries(existing)) {
      this.ids.set(json, id);
      this.next = Math.max(this.next, parseInt(id, 36) + 1);
    }
  }

  idOf(entry: EntryPayload): string {
    // A hub list comes in runs of one source and reason: skip the JSON for a repeat of the last payload.
    if (entry.reason === this.last.reason && entry.source === this.last.source) return this.last.id;
    const json = payloadOf(entry);
    let id = this.ids.get(json);
    if (id === undefined) {
      id = (this.next++).toString(36);
      this.ids.set(json, id);
      this.added.push(id, json);
    }
    this.last = { reason: entry.reason, source: entry.source, id };
    return id;
  }

  /** id, JSON pairs handed out since the last call, for HSET. */
  takeAdded(): string[] {
    const added = this.added;
    this.added = [];
    return added;
  }
}

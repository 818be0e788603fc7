/**
 * What the Redis DNO cache publishes on its change channel: the new version, or — for a small delta — the delta
 * itself as JSON, entries as cache fields and payloads (entry-codec.ts):
 *
 *   17
 *   {"version":18,"since":17,"list":"…","add":[["l12025550100",""]],"remove":["l12025550101"]}
 *
 * A follower that holds version `since` of that list lays the delta over its snapshot at once; anything else
 * (a bare version, a message it cannot read) makes it read the whole list again, which is always correct.
 */
import { EntryDecoder, fieldOf, payloadOf } from './entry-codec.js';
import type { DnoAnnouncedChange } from './store.js';

interface Wire {
  version: number;
  since: number;
  list: string | null;
  add: [string, string][];
  remove: string[];
}

export function announceText(version: number, change: DnoAnnouncedChange | null): string {
  if (change === null) return String(version);
  const wire: Wire = {
    version,
    since: change.since,
    list: change.list,
    add: change.add.map((e) => [fieldOf(e), payloadOf(e)]),
    remove: change.remove.map(fieldOf),
  };
  return JSON.stringify(wire);
}

/** The version a message announces, and the change when it carries one that reads cleanly. */
export function heard(message: string): { version: number; change?: DnoAnnouncedChange } {
  if (message.charCodeAt(0) !== 123) return { version: Number(message) };
  try {
    const wire = JSON.parse(message) as Wire;
    const decoder = new EntryDecoder();
    const change: DnoAnnouncedChange = {
      list: typeof wire.list === 'string' ? wire.list : null,
      since: Number(wire.since),
      version: Number(wire.version),
      add: wire.add.map(([field, payload]) => decoder.entryOf(field, payload)),
      remove: wire.remove.map((field) => decoder.entryOf(field, '')),
    };
    if (!Number.isInteger(change.version) || !Number.isInteger(change.since)) return { version: Number(wire.version) };
    return { version: change.version, change };
  } catch {
    return { version: Number.NaN };
  }
}

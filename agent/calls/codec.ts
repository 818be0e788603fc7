/**
 * Packing of call records into fixed-width entries (DESIGN §7: ≤ 64 bytes of Redis per indexed call).
 *
 * An entry is 34 bytes, big-endian:
 *   0  called    u56  E.164 digits as an integer (15 digits < 2^50; no leading 0, so the digits round-trip)
 *   7  calling   u56  E.164 digits; 0 = withheld (''); FNV-1a of the raw value when flag callingRaw
 *  14  offset    u32  ms since the start of the entry's time bucket
 *  18  ingress   u24  dictionary id of the canonical ingress JSON
 *  21  identity  u24  dictionary id of the canonical STIR/SHAKEN identity JSON, 0 = unsigned
 *  24  source    u8   dictionary id of the call source (sip, hep, drachtio, cdr:<format>)
 *  25  flags     u8
 *  26  file      u24  dictionary id of the CDR file the record was read from, 0 = none (a SIP source)
 *  29  at        u40  byte offset of the record's line in that file (1 TB)
 *
 * The file and offset are the record's evidence (cdr-formats.md §3): enough to fetch the raw CDR line when a
 * hop answer is made, for 8 bytes rather than the 200–2,000 of the line itself.
 * Identity is interned rather than spilled: many calls are signed, and their (attest, origid, signer,
 * verified, reason) combinations repeat per originating trunk. What does not fit goes to an overflow
 * ("extras") keyed by the entry's own bytes: the raw value of a non-E.164 calling number, the other
 * time of a DST-ambiguous call, and the call id of such a record. A call id alone is not kept: it is not
 * part of an answer, and at 20–60 bytes plus a hash field it would cost more than the rest of the call.
 */
import { CallIndexInputError } from './errors.js';
import { evidenceOf } from './file-term.js';
import type { CallRecord } from './record.js';

export const ENTRY_BYTES = 34;

export const Flag = {
  anonymous: 1,
  clockUntrusted: 2,
  /** The entry has an overflow value (extras). */
  extras: 4,
  /** The entry indexes a record under its `atAlt`; the record's `at` is in its extras. */
  altTime: 8,
  /** The calling number is not E.164: its raw value is in the extras. */
  callingRaw: 16,
} as const;

export interface Entry {
  called: number;
  calling: number;
  offsetMs: number;
  ingressId: number;
  identityId: number;
  sourceId: number;
  flags: number;
  fileId: number;
  lineOffset: number;
}

/** What rides in the overflow. `at` only on an altTime entry, `atAlt` only on the primary one. */
export interface Extras {
  at?: number;
  atAlt?: number;
  calling?: string;
  callId?: string;
}

export type TermKind = 'ingress' | 'source' | 'identity' | 'file';
export const TERM_KINDS: readonly TermKind[] = ['ingress', 'source', 'identity', 'file'];
/**
 * Kinds whose terms are kept for ever: a site has a few thousand. File terms are leased instead (dictionary.ts):
 * a site rotating a file a minute on ten SBCs interns 14,400 a day, and each is dropped once its calls are.
 */
export type InternedKind = Exclude<TermKind, 'file'>;
export const INTERNED_KINDS: readonly InternedKind[] = ['ingress', 'source', 'identity'];
/** Dictionary ids must fit their entry field. */
export const MAX_TERM_ID: Readonly<Record<TermKind, number>> = { ingress: 2 ** 24 - 1, identity: 2 ** 24 - 1, source: 255, file: 2 ** 24 - 1 };
/** The largest byte offset an entry holds. */
export const MAX_LINE_OFFSET = 2 ** 40 - 1;

const HIGH = 2 ** 32;

export function writeEntry(buf: Buffer, offset: number, e: Entry): void {
  writeUint56(buf, offset, e.called);
  writeUint56(buf, offset + 7, e.calling);
  buf.writeUInt32BE(e.offsetMs, offset + 14);
  writeUint24(buf, offset + 18, e.ingressId);
  writeUint24(buf, offset + 21, e.identityId);
  buf[offset + 24] = e.sourceId;
  buf[offset + 25] = e.flags;
  writeUint24(buf, offset + 26, e.fileId);
  buf[offset + 29] = Math.floor(e.lineOffset / HIGH);
  buf.writeUInt32BE(e.lineOffset % HIGH, offset + 30);
}

// Plain byte stores: Buffer#writeUIntBE checks its arguments on every call, and this runs per indexed call.
function writeUint24(buf: Buffer, offset: number, value: number): void {
  buf[offset] = value >>> 16;
  buf[offset + 1] = value >>> 8;
  buf[offset + 2] = value;
}

function writeUint56(buf: Buffer, offset: number, value: number): void {
  writeUint24(buf, offset, Math.floor(value / HIGH));
  buf.writeUInt32BE(value % HIGH, offset + 3);
}

/** The hot part of a scan: only the called number and the time offset are read for every entry. */
export function readCalled(buf: Buffer, offset: number): number {
  return buf.readUIntBE(offset, 3) * HIGH + buf.readUInt32BE(offset + 3);
}

export function readOffsetMs(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset + 14);
}

export function readEntry(buf: Buffer, offset: number): Entry {
  return {
    called: readCalled(buf, offset),
    calling: buf.readUIntBE(offset + 7, 3) * HIGH + buf.readUInt32BE(offset + 10),
    offsetMs: readOffsetMs(buf, offset),
    ingressId: buf.readUIntBE(offset + 18, 3),
    identityId: buf.readUIntBE(offset + 21, 3),
    sourceId: buf.readUInt8(offset + 24),
    flags: buf.readUInt8(offset + 25),
    fileId: buf.readUIntBE(offset + 26, 3),
    lineOffset: buf.readUInt8(offset + 29) * HIGH + buf.readUInt32BE(offset + 30),
  };
}

const PLUS = 43;
const ZERO = 48;

/**
 * The digits of an E.164 number as an integer, or -1 when `text` is not E.164. The rule is proto's `E164`
 * ('+', 7–15 digits, no leading 0), as a char loop: it runs twice per indexed call.
 */
export function e164Digits(text: string): number {
  const length = text.length;
  if (length < 8 || length > 16 || text.charCodeAt(0) !== PLUS) return -1;
  let digits = 0;
  for (let i = 1; i < length; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9 || (d === 0 && i === 1)) return -1;
    digits = digits * 10 + d;
  }
  return digits;
}

/** A called number as an entry stores it, or a CallIndexInputError naming `path`. */
export function packCalled(called: unknown, path: string): number {
  const digits = typeof called === 'string' ? e164Digits(called) : -1;
  if (digits < 0) throw new CallIndexInputError(path, notE164(called));
  return digits;
}

export const notE164 = (value: unknown) => `must be E.164, e.g. +12025550143 (got ${JSON.stringify(value)})`;

export interface UnpackInput {
  called: string;
  entry: Entry;
  at: number;
  atAlt: number | undefined;
  extras: Extras | undefined;
  term: (kind: TermKind, id: number) => string;
}

/** Back to a CallRecord: flags that are false come back absent, as do a call id, identity and evidence that were absent. */
export function unpackRecord({ called, entry, at, atAlt, extras, term }: UnpackInput): CallRecord {
  const raw = (entry.flags & Flag.callingRaw) !== 0;
  const record: CallRecord = {
    at,
    calling: raw ? (extras?.calling ?? '') : entry.calling === 0 ? '' : `+${entry.calling}`,
    called,
    source: term('source', entry.sourceId) as CallRecord['source'],
    ingress: JSON.parse(term('ingress', entry.ingressId)) as CallRecord['ingress'],
  };
  if (entry.flags & Flag.anonymous) record.anonymous = true;
  if (entry.flags & Flag.clockUntrusted) record.clockUntrusted = true;
  if (atAlt !== undefined) record.atAlt = atAlt;
  if (extras?.callId !== undefined) record.callId = extras.callId;
  if (entry.identityId !== 0) record.identity = JSON.parse(term('identity', entry.identityId)) as CallRecord['identity'];
  if (entry.fileId !== 0) record.evidence = evidenceOf(term('file', entry.fileId), entry.lineOffset);
  return record;
}

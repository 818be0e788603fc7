/**
 * One call as the agent learned it, from any call source (policy server, HEP, drachtio, a CDR line).
 * This is what the call index stores and what hop answers are made from.
 */
import type { CallSource, IdentityInfo, Ingress } from '../../proto/messages.js';

export interface CallRecord {
  /** Call start (INVITE seen, or the CDR's setup time) as UTC epoch milliseconds. */
  at: number;
  /** E.164 when it could be normalised, else the raw value as received; '' when the caller was withheld. */
  calling: string;
  /** Called number in E.164: the index key (hop queries search by called number + time window). */
  called: string;
  source: CallSource;
  /** Who handed the call over: peer IP/port, trunk group, realm. Mapped to an upstream by agent/ingress.ts. */
  ingress: Ingress;
  /** The caller withheld its identity (anonymous From, Privacy: id). */
  anonymous?: boolean;
  /** The writer's clock was flagged unsynchronised (e.g. Cisco `*`/`.` markers): ranked last. */
  clockUntrusted?: boolean;
  /** Second candidate time when a local time fell in a repeated DST hour: a lookup must find either. */
  atAlt?: number;
  /** SIP Call-ID or the CDR's call id, used to merge records of one call from several sources. */
  callId?: string;
  /** STIR/SHAKEN identity received with the call, decoded (and verified where possible). */
  identity?: IdentityInfo;
  /**
   * Where a CDR record was read: its file and the byte offset of its line (XML: element), to fetch it as evidence;
   * `fileKey` is the file's identity (`<dev>:<ino>`, agent/cdr/identity.ts), which a rename keeps: evidence finds
   * a rotated file by it, and tells a new file at the old name from the one read.
   */
  evidence?: { file: string; offset: number; fileKey?: string };
}

/** Source quality for ranking: live signalling first, CDRs after, untrusted clocks last. */
export function sourceRank(r: Pick<CallRecord, 'source' | 'clockUntrusted'>): number {
  if (r.clockUntrusted) return 3;
  return r.source.startsWith('cdr:') ? 2 : 1;
}

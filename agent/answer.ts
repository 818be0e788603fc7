/**
 * Hop query → hop answer. Pure: the caller has looked the call up in the index (or failed to).
 * "Who handed you this call?" is answered from the best match's ingress through the ingress map.
 */
import { basename } from 'node:path';
import type { HopAnswer, HopQuery, Match } from '../proto/messages.js';
import { toE164 } from '../proto/tn.js';
import { AGENT_VERSION } from '../proto/version.js';
import { type CallRecord, sourceRank } from './calls/record.js';
import type { CdrEvidence } from './cdr/evidence.js';
import type { IngressMap, Resolved } from './ingress.js';

/** At most this many candidates go back: enough for the hub to decide, never a bulk disclosure. */
export const MAX_MATCHES = 5;

export type Lookup =
  | { ok: true; records: readonly CallRecord[]; evidence?: ReadonlyMap<CallRecord, CdrEvidence> }
  | { ok: false; reason: string };

/**
 * What a match says about the CDR behind it: `hash` its file name, offset and the sha256 of its raw line (the
 * carrier can produce the line later, and the hash proves it unchanged); `line` the raw line too (it is CPNI
 * of this one call); `none` nothing.
 */
export type EvidenceDisclosure = 'none' | 'hash' | 'line';

/** A match with its CDR evidence (a field proto's Match does not name yet: receivers ignore unknown fields). */
export type EvidencedMatch = Match & { evidence?: MatchEvidence };

export interface MatchEvidence {
  /** Where the line is now. */
  file: string;
  /** The name the call was indexed under, when rotation renamed the file since. */
  indexedAs?: string;
  offset: number;
  sha256?: string;
  line?: string;
  /** The line parses to this call again; false when the file changed since it was indexed. */
  verified?: boolean;
  /** Why the line could not be read (the file was rotated away, truncated). */
  missing?: string;
}

export interface AnswerContext {
  provider: string;
  now: number;
  ingress: IngressMap;
  /** Default `hash`. */
  evidence?: EvidenceDisclosure;
}

export interface Window {
  from: number;
  to: number;
  at: number;
}

export function windowOf(q: HopQuery): Window {
  const at = Date.parse(q.call.at);
  const half = q.call.windowSec * 1000;
  return { from: at - half, to: at + half, at };
}

/**
 * Ranking (reference domain.md §1.5): |Δt| first — in whole seconds, since CDR clocks have 1 s resolution and
 * drift — then a calling-number match, then source quality (live signalling before CDRs, untrusted clocks last).
 */
export function rank(records: readonly CallRecord[], w: Window, calling: string | null): CallRecord[] {
  const key = (r: CallRecord) => {
    const dt = Math.min(Math.abs(r.at - w.at), r.atAlt === undefined ? Infinity : Math.abs(r.atAlt - w.at));
    return [Math.round(dt / 1000), calling !== null && r.calling === calling ? 0 : 1, sourceRank(r)] as const;
  };
  return [...records]
    .map((r) => ({ r, k: key(r) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2])
    .map((x) => x.r);
}

export function answerQuery(q: HopQuery, lookup: Lookup, ctx: AnswerContext): HopAnswer {
  const w = windowOf(q);
  const base = {
    queryId: q.queryId,
    tracebackId: q.tracebackId,
    provider: ctx.provider,
    window: { from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() },
    answeredAt: new Date(ctx.now).toISOString(),
    agentVersion: AGENT_VERSION,
  };
  // Never `not_found` when the index could not be searched: the hub retries an `unavailable` (DESIGN §8).
  if (!lookup.ok) return { ...base, result: 'unavailable', matches: [], reason: lookup.reason };

  const ranked = rank(lookup.records, w, toE164(q.call.calling)).slice(0, MAX_MATCHES);
  const best = ranked[0];
  if (!best) return { ...base, result: 'not_found', matches: [] };

  const disclose = ctx.evidence ?? 'hash';
  const matches = ranked.map((r) => {
    const m: EvidencedMatch = toMatch(r, ctx.ingress.resolve(r.ingress));
    const evidence = disclose === 'none' ? undefined : lookup.evidence?.get(r);
    if (evidence !== undefined) m.evidence = matchEvidence(evidence, disclose);
    return m;
  });
  const top = ctx.ingress.resolve(best.ingress);
  const result = top?.kind === 'customer' ? 'originated' : top?.kind === 'foreign' ? 'foreign' : 'upstream';
  return { ...base, result, matches, ...(top === undefined && { reason: 'ingress of the best match is not in the ingress map' }) };
}

function toMatch(r: CallRecord, who: Resolved | undefined): Match {
  const m: Match = {
    at: new Date(r.at).toISOString(),
    // A caller we could not normalise is kept as received (e.g. a whole Acme From header): bounded for the wire.
    calling: r.calling.slice(0, 64),
    called: r.called,
    source: r.source,
    ingress: r.ingress,
  };
  if (r.identity) m.identity = r.identity;
  if (!who) m.upstream = { name: `unmapped ingress ${describe(r)}` };
  else if (who.kind === 'customer') m.customer = { ...(who.account !== undefined && { account: who.account }), ...(who.name !== undefined && { name: who.name }) };
  else m.upstream = { ...(who.kind === 'upstream' && who.providerId !== undefined && { providerId: who.providerId }), name: who.name };
  return m;
}

function matchEvidence(e: CdrEvidence, disclose: EvidenceDisclosure): MatchEvidence {
  const at = { file: basename(e.file), offset: e.offset };
  if ('missing' in e) return { ...at, missing: e.missing };
  return {
    ...at,
    ...(e.indexedAs !== undefined && { indexedAs: basename(e.indexedAs) }),
    sha256: e.sha256,
    verified: e.verified,
    ...(disclose === 'line' && { line: e.text }),
  };
}

function describe(r: CallRecord): string {
  const i = r.ingress;
  return [i.trunkGroup && `trunk ${i.trunkGroup}`, i.realm && `realm ${i.realm}`, i.ip && `ip ${i.ip}`].filter(Boolean).join(', ') || '(none recorded)';
}

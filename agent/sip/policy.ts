/**
 * The decision on one INVITE, shared by every SIP call source (the policy server, the HEP collector, the
 * drachtio app): pure, no I/O. Parsed INVITE + where it came from → DNO decision → the final answer (status,
 * its extra headers, the response bytes) + the call record to learn.
 *
 * Answers (domain.md §3, §5; issue 3): continue = 302 with `Contact: <R-URI>` (the SBC routes on as it meant
 * to) or 404/503 (route advance, the ClearIP convention); block = 603 Decline or 608 Rejected, both with
 * `Reason: Q.850;cause=21;text="…"` (cause 21 = call rejected; ISUP interworking maps it back). A monitored
 * category continues and is only counted and logged. The response is built from the request alone (To tag
 * derived from it), so a retransmitted INVITE gets the same bytes.
 */
import type { AgentConfig } from '../../config/agent.js';
import type { CallSource } from '../../proto/messages.js';
import { normalise, type Tn } from '../../proto/tn.js';
import type { CallRecord } from '../calls/record.js';
import { decide, type DecideContext, type Decision } from '../dno/decide.js';
import type { DnoSnapshot } from '../dno/snapshot.js';
import type { SipMessage } from './message.js';
import type { NameAddr } from './name-addr.js';
import { paiTrust, type PaiTrust } from './pai-trust.js';
import { buildResponse, headerLine, type ResponseSource } from './response.js';
import type { SipUri } from './uri.js';

export type CallingFrom = 'pai' | 'from';
export type ContinueMode = '302' | '404' | '503';
export type BlockCode = 603 | 608;

export interface PolicySettings {
  /** Answer for a call that may proceed. */
  continueMode: ContinueMode;
  block: { code: BlockCode; reasonText: string };
  /** P-Asserted-Identity (falling back to From) or From only. */
  callingFrom: CallingFrom;
  /** Peers whose PAI is believed (pai-trust.ts); from any other, From is read. Absent: every peer. */
  trustPai?: PaiTrust;
}

/** Built once per call source (policyContext); `dno.snapshot` may be a getter that follows the live list. */
export interface PolicyContext {
  readonly settings: Readonly<PolicySettings>;
  readonly dno: DecideContext;
  /** Recorded as the call's source. */
  readonly source: CallSource;
  readonly continueStatus: number;
  readonly continueReason: string;
  readonly blockReason: string;
  /** The block answer's added headers (Reason), as pairs and in wire form: the same for every call, made once. */
  readonly blockHeaders: [string, string][];
  readonly blockHeaderLines: string;
}

/** The packet's source (the ingress) and when the INVITE was seen, UTC epoch ms. */
export interface InviteSource extends ResponseSource {
  at: number;
}

export interface InviteAnswer {
  status: number;
  reason: string;
  /** Added after the copied headers: Contact (302) or Reason (603/608). */
  headers: [string, string][];
  /** The whole response, to go back to the packet's source address and port. */
  response: Buffer;
  decision: Decision;
  /** The calling number the decision used; null when the INVITE named none. */
  calling: Tn | null;
  /** null when the called number is not an E.164 number: the call index is keyed by it. */
  record: CallRecord | null;
}

const CONTINUE_REASONS: Readonly<Record<ContinueMode, string>> = {
  '302': 'Moved Temporarily',
  '404': 'Not Found',
  '503': 'Service Unavailable',
};
const BLOCK_REASONS: Readonly<Record<BlockCode, string>> = { 603: 'Decline', 608: 'Rejected' };
/** CallRecord.calling keeps at most this much of a raw (unnormalisable) caller. */
const MAX_RAW_CALLING = 64;

/** The context from the agent's configuration; `live.snapshot` is read on every decision (a LiveDno fits). */
export function policyContextOf(
  cfg: Pick<AgentConfig, 'sip' | 'dno'>,
  live: { readonly snapshot: DnoSnapshot },
  source: CallSource,
): PolicyContext {
  const { sip } = cfg;
  const settings: PolicySettings = {
    continueMode: sip.continue.mode,
    block: sip.block,
    callingFrom: sip.callingFrom,
    trustPai: paiTrust(sip.trustPaiFrom),
  };
  const dno: DecideContext = {
    get snapshot() {
      return live.snapshot;
    },
    actions: cfg.dno.actions,
    emergency: sip.emergency,
  };
  return policyContext(settings, dno, source);
}

export function policyContext(settings: PolicySettings, dno: DecideContext, source: CallSource): PolicyContext {
  // RFC 3326 text is a quoted-string: escape what would end it.
  const text = settings.block.reasonText.replace(/[\\"]/g, '\\$&');
  const blockReasonHeader = `Q.850;cause=21;text="${text}"`;
  return {
    settings,
    dno,
    source,
    continueStatus: Number(settings.continueMode),
    continueReason: CONTINUE_REASONS[settings.continueMode],
    blockReason: BLOCK_REASONS[settings.block.code],
    blockHeaders: [['Reason', blockReasonHeader]],
    blockHeaderLines: headerLine('Reason', blockReasonHeader),
  };
}

/** Decide on a parsed INVITE and build its final answer and the record of the call. */
export function decideInvite(msg: SipMessage, src: InviteSource, ctx: PolicyContext): InviteAnswer {
  const calling = callingNumber(msg, callingFromPeer(ctx.settings, src.address));
  const calledRaw = msg.uri ?? '';
  const decision = decide({ calling, called: calledRaw }, ctx.dno);
  let status: number;
  let reason: string;
  let headers: [string, string][];
  if (decision.action === 'block') {
    status = ctx.settings.block.code;
    reason = ctx.blockReason;
    headers = ctx.blockHeaders;
  } else {
    status = ctx.continueStatus;
    reason = ctx.continueReason;
    headers = status === 302 ? [['Contact', `<${calledRaw}>`]] : [];
  }
  // The block answer's header lines are made once, with the context.
  const response = buildResponse(msg, status, reason, decision.action === 'block' ? { headerLines: ctx.blockHeaderLines } : { headers }, src);
  return { status, reason, headers, response, decision, calling, record: recordOf(msg, src, calling, calledRaw, ctx.source) };
}

/** The record of an INVITE seen but not answered (HEP mirrors): no DNO decision, no response built. */
export function recordInvite(msg: SipMessage, src: InviteSource, ctx: PolicyContext): CallRecord | null {
  return recordOf(msg, src, callingNumber(msg, callingFromPeer(ctx.settings, src.address)), msg.uri ?? '', ctx.source);
}

/** Where the calling number of a message from `address` is read: PAI only when configured and the peer is trusted. */
function callingFromPeer(settings: PolicySettings, address: string): CallingFrom {
  return settings.callingFrom === 'pai' && settings.trustPai !== undefined && !settings.trustPai(address) ? 'from' : settings.callingFrom;
}

/**
 * The calling number: with 'pai', a P-Asserted-Identity value (RFC 3325) that is a telephone number (`tel:`
 * or `user=phone` first, then any other that normalises), else From; with 'from', From only. Under
 * `Privacy: id` From is usually anonymous and PAI is the real caller, which is what DNO must judge.
 */
export function callingNumber(msg: SipMessage, callingFrom: CallingFrom): Tn | null {
  if (callingFrom === 'pai') {
    const pai = msg.pai();
    const tn = pai.length === 0 ? null : (fromPai(pai, true) ?? fromPai(pai, false));
    if (tn) return tn;
  }
  const from = msg.from();
  return from ? normalise(from.uri.raw) : null;
}

/** The first PAI value of the kind asked for (telephone number or not) that gives a number or says anonymous. */
function fromPai(pai: readonly NameAddr[], telephone: boolean): Tn | null {
  for (const { uri } of pai) {
    if (isTelephone(uri) !== telephone) continue;
    const tn = normalise(uri.raw);
    if (tn.e164 !== null || tn.anonymous) return tn;
  }
  return null;
}

function isTelephone(uri: SipUri): boolean {
  return uri.scheme === 'tel' || uri.params.get('user')?.toLowerCase() === 'phone';
}

function recordOf(msg: SipMessage, src: InviteSource, calling: Tn | null, calledRaw: string, source: CallSource): CallRecord | null {
  const called = normalise(calledRaw).e164;
  if (called === null) return null;
  const record: CallRecord = {
    at: src.at,
    calling: calling === null || calling.anonymous ? '' : calling.e164 ?? calling.raw.slice(0, MAX_RAW_CALLING),
    called,
    source,
    ingress: { ip: src.address, port: src.port },
  };
  if (calling?.anonymous || withheld(msg)) record.anonymous = true;
  const callId = msg.callId();
  if (callId !== undefined) record.callId = callId;
  return record;
}

/**
 * The caller withheld its identity from the called party: an anonymous From (RFC 3323 §4.1.1.3) or
 * `Privacy: id` / `user` (RFC 3325 §9.3, RFC 3323 §4.2), even when PAI gave the real number.
 */
function withheld(msg: SipMessage): boolean {
  for (const line of msg.headers.get('privacy') ?? []) {
    for (const value of line.split(';')) {
      const v = value.trim().toLowerCase();
      if (v === 'id' || v === 'user') return true;
    }
  }
  const from = msg.from();
  return from !== undefined && msg.pai().length > 0 && normalise(from.uri.raw).anonymous;
}

/**
 * The traceback case state machine. Pure: every function takes a case and an event and returns the next case
 * plus the effects the caller must carry out (after it has stored the case: DESIGN §8, transitions are durable
 * before their side effects). No I/O, no clock, no randomness: `ctx` brings time and ids.
 */
import type { HopAnswer, HopQuery, TracebackInput } from '../proto/messages.js';
import { businessDeadline } from './business-hours.js';
import type { Case, CaseCall, Hop, HopAttempt, Outcome, SignedAnswer } from './case.js';
import { attestationOf } from './shaken.js';

export interface EngineConfig {
  /** How long an agent has to answer one attempt. */
  agentDeadlineMs: number;
  /** Further attempts after the first (each deadline doubles: backoff). */
  agentRetries: number;
  /** A person's deadline for a manual hop (24 h by US rule). */
  manualDeadlineMs: number;
  /** IANA zone of the business-hours rule for manual deadlines (hub/business-hours.ts); absent: wall-clock hours. */
  businessHoursZone?: string;
  /** Search window of the first attempt, ± seconds. */
  windowSec: number;
  /** Window of the single retry after `not_found`. */
  widenedWindowSec: number;
  /** A chain longer than this is treated as a loop. */
  maxHops: number;
}

/** Widest search window an agent is asked for (HopQuery schema: one day). */
const MAX_WINDOW_SEC = 86_400;

export const defaultEngineConfig: EngineConfig = {
  agentDeadlineMs: 10_000,
  agentRetries: 2,
  manualDeadlineMs: 24 * 3_600_000,
  windowSec: 120,
  widenedWindowSec: 600,
  maxHops: 20,
};

/** What the engine needs to know about a provider. */
export interface ProviderView {
  id: string;
  reach: 'agent-pull' | 'agent-push' | 'manual';
  foreign: boolean;
  /** A person can be asked (e-mail or phone registered). */
  hasContacts: boolean;
}

export interface EngineContext {
  now: number;
  cfg: EngineConfig;
  newQueryId(): string;
  provider(id: string): ProviderView | undefined;
  /** The registered provider whose SHAKEN identity (SPC/OCN) is `signer`. */
  bySigner(signer: string): ProviderView | undefined;
}

export type Effect =
  | { type: 'send-query'; provider: string; mode: 'agent' | 'manual'; query: HopQuery }
  | { type: 'set-deadline'; at: number }
  | { type: 'clear-deadline' }
  | { type: 'ended'; outcome: Outcome };

export interface Step {
  case: Case;
  effects: Effect[];
}

/** An event the engine refuses: the case is left as it was. */
export class EngineRejection extends Error {
  override readonly name = 'EngineRejection';
  constructor(
    readonly caseId: string,
    readonly reason: string,
  ) {
    super(`case ${caseId}: ${reason}`);
  }
}

export function startCase(id: string, input: TracebackInput, requester: string, ctx: EngineContext): Step {
  const c = openCase(id, input.call, input.campaign, requester, ctx);
  return askProvider(c, input.firstProvider, null, input.windowSec ?? ctx.cfg.windowSec, ctx);
}

function openCase(id: string, call: CaseCall, campaign: string | undefined, requester: string, ctx: EngineContext): Case {
  return {
    id,
    call: { ...call },
    ...(campaign !== undefined && { campaign }),
    requester,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    status: 'open',
    hops: [],
    rev: 0,
  };
}

/** What starts a trace forward: the call-back number, the provider that holds it, the scam call it came from. */
export interface ForwardStart {
  number: string;
  holder: string;
  call: CaseCall;
  campaign?: string;
}

/**
 * A trace forward: the provider holding a call-back number is asked who it is assigned to. Agents index calls,
 * not number assignments, so every hop of it is asked of people (a manual hop); an `upstream` answer (ported to
 * another provider) moves on as a traceback does, `originated` names the customer.
 */
export function startForward(id: string, input: ForwardStart, requester: string, ctx: EngineContext): Step {
  const c: Case = { ...openCase(id, input.call, input.campaign, requester, ctx), forward: { number: input.number } };
  return askProvider(c, input.holder, null, ctx.cfg.windowSec, ctx);
}

/**
 * Apply a verified answer: to the hop waiting for it, or to the SHAKEN side query. The caller has checked the
 * envelope's signature and that its signer speaks for `answer.provider` (or is the hub, for a person's answer).
 */
export function applyAnswer(prev: Case, answer: HopAnswer, signed: SignedAnswer, ctx: EngineContext): Step {
  const c = editable(prev);
  if (c.shaken?.query?.queryId === answer.queryId) return applySideAnswer(c, answer, signed, ctx);
  const hop = currentHop(c);
  if (c.status !== 'open' || !hop || hop.state !== 'pending') throw new EngineRejection(c.id, 'no hop is waiting for an answer');
  const attempt = hop.attempts.at(-1);
  if (!attempt || attempt.queryId !== answer.queryId) throw new EngineRejection(c.id, `answer to ${answer.queryId} is not for the open attempt`);
  if (answer.provider !== hop.provider) throw new EngineRejection(c.id, `answer from ${answer.provider}, but ${hop.provider} was asked`);

  touch(c, ctx);
  hop.state = 'answered';
  hop.answer = answer;
  hop.answerJws = signed.jws;
  hop.answerKeys = signed.keys;
  if (signed.answeredBy) hop.answeredBy = signed.answeredBy;
  hop.answeredAt = ctx.now;

  switch (answer.result) {
    case 'originated':
      c.originator = hop.provider;
      return end(c, 'originated', `${hop.provider} originated the call`);
    case 'foreign':
      c.pointOfEntry = hop.provider;
      return end(c, 'foreign', `${hop.provider} received the call from abroad`);
    case 'declined':
      return end(c, 'non_responsive', `${hop.provider} declined to answer${answer.reason ? `: ${answer.reason}` : ''}`);
    case 'not_found': {
      // Once per hop: clocks between carriers differ by seconds to minutes, so look again, wider.
      const wider = Math.max(ctx.cfg.widenedWindowSec, attempt.windowSec * 2);
      const widened = hop.attempts.some((a) => a.windowSec > (hop.attempts[0]?.windowSec ?? 0));
      // A trace forward asks about a number, not a call in a window: a person's "not ours" is final.
      if (!widened && !c.forward && attempt.windowSec < MAX_WINDOW_SEC) return retry(c, hop, Math.min(wider, MAX_WINDOW_SEC), ctx);
      return end(c, 'not_found', `${hop.provider} has no record of the call (±${attempt.windowSec} s)`);
    }
    case 'unavailable':
      return onUnanswered(c, hop, attempt, ctx);
    case 'upstream':
      return followUpstream(c, hop, answer, ctx);
  }
}

/** The open attempt's deadline passed without an answer. */
export function applyTimeout(prev: Case, ctx: EngineContext): Step {
  const c = editable(prev);
  const hop = currentHop(c);
  if (c.status !== 'open' || !hop || hop.state !== 'pending') return { case: prev, effects: [] };
  const attempt = hop.attempts.at(-1)!;
  if (attempt.deadline > ctx.now) return { case: prev, effects: [{ type: 'set-deadline', at: attempt.deadline }] };
  attempt.timedOut = true;
  touch(c, ctx);
  return onUnanswered(c, hop, attempt, ctx);
}

export function cancelCase(prev: Case, why: string, ctx: EngineContext): Step {
  if (prev.status !== 'open') throw new EngineRejection(prev.id, `already ended (${prev.status})`);
  const c = editable(prev);
  touch(c, ctx);
  return end(c, 'cancelled', why);
}

export function currentHop(c: Case): Hop | undefined {
  return c.hops.at(-1);
}

/** The hop of an open case waiting for a person, with its open attempt. */
export function waitingManualHop(c: Case): { hop: Hop; attempt: HopAttempt } | undefined {
  const hop = currentHop(c);
  const attempt = hop?.attempts.at(-1);
  return c.status === 'open' && hop?.mode === 'manual' && hop.state === 'pending' && attempt ? { hop, attempt } : undefined;
}

/** The query an attempt of a hop sends: rebuilt from the case alone, so a restarted hub can offer it again. */
export function hopQuery(c: Case, hop: Hop, attempt: HopAttempt): HopQuery {
  return {
    queryId: attempt.queryId,
    tracebackId: c.id,
    call: { ...c.call, windowSec: attempt.windowSec },
    askedBy: hop.askedBy,
    deadline: new Date(attempt.deadline).toISOString(),
  };
}

/** The deadline a case is waiting on, if any: used to re-arm deadlines after a restart. */
export function pendingDeadline(c: Case): number | undefined {
  const hop = currentHop(c);
  if (c.status !== 'open' || hop?.state !== 'pending') return undefined;
  return hop.attempts.at(-1)?.deadline;
}

/** The upstream an answer names: its best match's. */
export function namedUpstream(answer: HopAnswer): { providerId?: string | undefined; name: string } | undefined {
  return answer.matches.find((m) => m.upstream)?.upstream;
}

function followUpstream(c: Case, hop: Hop, answer: HopAnswer, ctx: EngineContext): Step {
  const named = namedUpstream(answer);
  if (!named) return end(c, 'not_found', `${hop.provider} answered upstream without naming one`);
  const id = named.providerId;
  const upstream = id ? ctx.provider(id) : undefined;
  if (!id || !upstream) return end(c, 'non_responsive', `${hop.provider} named "${named.name}", which is not a registered provider`);
  if (c.hops.some((h) => h.provider === id)) return end(c, 'loop', `${hop.provider} named ${id}, already in the chain`);
  if (upstream.foreign) {
    c.pointOfEntry = hop.provider;
    return end(c, 'foreign', `${hop.provider} received the call from ${id}, outside the country`);
  }
  if (c.hops.length >= ctx.cfg.maxHops) return end(c, 'loop', `more than ${ctx.cfg.maxHops} hops`);
  const side = shortcut(c, answer, id, ctx);
  const step = askProvider(c, id, hop.provider, ctx.cfg.windowSec, ctx);
  return side ? { case: step.case, effects: [...step.effects, side] } : step;
}

/**
 * The first verified A/B attestation of a case whose signer is registered: remembered on the case, and the
 * signer is asked directly (by its agent) unless the chain already holds it or names it next.
 */
function shortcut(c: Case, answer: HopAnswer, next: string, ctx: EngineContext): Effect | undefined {
  if (c.shaken) return undefined;
  const a = attestationOf(answer);
  const signer = a && ctx.bySigner(a.signer);
  if (!a || !signer) return undefined;
  c.shaken = { signer: a.signer, provider: signer.id, attest: a.attest, fromHop: c.hops.length - 1 };
  if (signer.id === next || c.hops.some((h) => h.provider === signer.id)) {
    c.shaken.path = 'agrees';
    return undefined;
  }
  if (signer.reach === 'manual' || signer.foreign) return undefined;
  const windowSec = ctx.cfg.windowSec;
  c.shaken.query = { queryId: ctx.newQueryId(), sentAt: ctx.now, windowSec };
  const query: HopQuery = {
    queryId: c.shaken.query.queryId,
    tracebackId: c.id,
    call: { ...c.call, windowSec },
    askedBy: null,
    deadline: new Date(ctx.now + ctx.cfg.agentDeadlineMs).toISOString(),
  };
  return { type: 'send-query', provider: signer.id, mode: 'agent', query };
}

/** The signer's answer to the side query: evidence beside the chain; it moves nothing. */
function applySideAnswer(c: Case, answer: HopAnswer, signed: SignedAnswer, ctx: EngineContext): Step {
  const side = c.shaken!;
  if (side.answer) throw new EngineRejection(c.id, `side query ${answer.queryId} was already answered`);
  if (answer.provider !== side.provider) throw new EngineRejection(c.id, `answer from ${answer.provider}, but ${side.provider} was asked`);
  touch(c, ctx);
  side.answer = answer;
  side.answerJws = signed.jws;
  side.answerKeys = signed.keys;
  side.answeredAt = ctx.now;
  return { case: c, effects: [] };
}

function askProvider(c: Case, providerId: string, askedBy: string | null, windowSec: number, ctx: EngineContext): Step {
  const p = ctx.provider(providerId);
  if (!p) {
    touch(c, ctx);
    return end(c, 'non_responsive', `${providerId} is not a registered provider`);
  }
  const mode = p.reach === 'manual' || c.forward ? 'manual' : 'agent';
  const hop: Hop = { provider: providerId, askedBy, mode, state: 'pending', attempts: [] };
  c.hops.push(hop);
  if (c.shaken?.provider === providerId) c.shaken.path = 'agrees';
  touch(c, ctx);
  return send(c, hop, windowSec, ctx);
}

function onUnanswered(c: Case, hop: Hop, attempt: HopAttempt, ctx: EngineContext): Step {
  if (hop.mode === 'agent' && hop.attempts.length <= ctx.cfg.agentRetries) return retry(c, hop, attempt.windowSec, ctx);
  const p = ctx.provider(hop.provider);
  if (hop.mode === 'agent' && p?.hasContacts) {
    // The agent is silent: fall back to the provider's people, as the portal does today.
    hop.mode = 'manual';
    return send(c, hop, attempt.windowSec, ctx);
  }
  hop.state = 'unanswered';
  return end(c, 'non_responsive', `${hop.provider} did not answer by its deadline`);
}

function retry(c: Case, hop: Hop, windowSec: number, ctx: EngineContext): Step {
  hop.state = 'pending';
  return send(c, hop, windowSec, ctx);
}

function send(c: Case, hop: Hop, windowSec: number, ctx: EngineContext): Step {
  const attempt: HopAttempt = { queryId: ctx.newQueryId(), windowSec, sentAt: ctx.now, deadline: deadlineOf(hop, ctx) };
  hop.attempts.push(attempt);
  const query = hopQuery(c, hop, attempt);
  return {
    case: c,
    effects: [
      { type: 'set-deadline', at: attempt.deadline },
      { type: 'send-query', provider: hop.provider, mode: hop.mode, query },
    ],
  };
}

function deadlineOf(hop: Hop, ctx: EngineContext): number {
  const { cfg, now } = ctx;
  if (hop.mode === 'manual') {
    return cfg.businessHoursZone ? businessDeadline(now, cfg.manualDeadlineMs, cfg.businessHoursZone) : now + cfg.manualDeadlineMs;
  }
  // Backoff: each further attempt of the same hop waits twice as long as the one before.
  return now + cfg.agentDeadlineMs * 2 ** Math.min(hop.attempts.length, 6);
}

function end(c: Case, outcome: Outcome, detail: string): Step {
  c.status = outcome;
  c.detail = detail;
  c.endedAt = c.updatedAt;
  // The chain ended at an origin (or abroad, or in a loop) without passing the signer: the path disagrees.
  if (c.shaken && !c.shaken.path && ['originated', 'foreign', 'loop'].includes(outcome)) c.shaken.path = 'disagrees';
  return { case: c, effects: [{ type: 'clear-deadline' }, { type: 'ended', outcome }] };
}

/**
 * A copy of `prev` that a transition may change: the case, its hop list, the open (last) hop with its attempts
 * list and last attempt, and the SHAKEN shortcut. Earlier hops, answers and JWSs are shared with `prev`: no
 * transition changes them, and copying every hop's answer at every hop would cost more than the transition.
 */
function editable(prev: Case): Case {
  const c: Case = { ...prev, hops: [...prev.hops] };
  const last = c.hops.length - 1;
  const hop = c.hops[last];
  if (hop) {
    const attempts = [...hop.attempts];
    const lastAttempt = attempts.at(-1);
    if (lastAttempt) attempts[attempts.length - 1] = { ...lastAttempt };
    c.hops[last] = { ...hop, attempts };
  }
  if (prev.shaken) c.shaken = { ...prev.shaken };
  return c;
}

function touch(c: Case, ctx: EngineContext): void {
  c.updatedAt = ctx.now;
}

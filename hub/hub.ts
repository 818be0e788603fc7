/**
 * The hub service: runs the pure engine against the store and carries out its effects.
 * Order of every transition (DESIGN §8): store the case → arm/clear its deadline → send queries. A crash between
 * two steps loses nothing: on restart `start()` re-arms every open case's deadline, and a deadline that fires for
 * a query that never went out simply sends the next attempt.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { sign, verify } from '../proto/envelope.js';
import { PollBody } from '../proto/hop-queries.js';
import { type KeyPair, publicKeyFromRaw, publicKeyToRaw } from '../proto/keys.js';
import { HopAnswer, type HopQuery, MessageError, parse, type ProviderKey, type TracebackInput as TracebackInputT, TracebackInput } from '../proto/messages.js';
import { CampaignInput, CampaignName } from './campaign.js';
import { type Case, type Hop, type HopAttempt, OUTCOMES, type SignedAnswer } from './case.js';
import { CaseCache } from './case-cache.js';
import { Dispatcher } from './dispatch.js';
import {
  applyAnswer,
  applyTimeout,
  cancelCase,
  currentHop,
  waitingManualHop,
  type EngineConfig,
  type EngineContext,
  type ForwardStart,
  hopQuery,
  pendingDeadline,
  type ProviderView,
  startCase,
  startForward,
  type Step,
} from './engine.js';
import { buildEvidence, type EvidenceBundle } from './evidence.js';
import { waitForQueries } from './long-poll.js';
import { manualLinkKeys, type RetiredHubKey } from './key-rotation.js';
import { type ManualLink, ManualAnswerInput, manualAnswer, openManualLink, requireOpenQuestion, signManualLink } from './manual.js';
import { providerView, Registry } from './registry.js';
import { attestationOf } from './shaken.js';
import { ConflictError, type HubStore, type Provider } from './store/store.js';

/**
 * Told what happened to a case once it is stored (hub/notify/ sends referrals and notices from these). Called
 * without waiting: a hook stores its own work and never holds up a transition.
 */
export interface CaseHooks {
  ended(c: Case): void;
  manualHop(c: Case, provider: string, query: HopQuery): void;
}

/** Sees every case as stored, with the case as it was before (undefined for a new one): hub/metrics.ts counts from these. */
export type CaseObserver = (before: Case | undefined, after: Case) => void;

export interface HubOptions {
  id: string;
  key: KeyPair;
  /** Keys replaced by a rotation: their manual-hop links still open during the overlap. */
  previousKeys?: readonly { publicKey: string; notAfter: string }[];
  store: HubStore;
  engine: EngineConfig;
  log: Logger;
  now?: () => number;
  /** How often due deadlines are claimed. */
  tickMs?: number;
  hooks?: CaseHooks;
}

export class UnknownQueryError extends Error {
  override readonly name = 'UnknownQueryError';
  constructor(readonly queryId: string) {
    super(`no case is waiting for query ${queryId}`);
  }
}

/** The envelope's signer is not the provider the answer speaks for. */
export class AnswerMismatchError extends Error {
  override readonly name = 'AnswerMismatchError';
  constructor(
    readonly signer: string,
    readonly provider: string,
  ) {
    super(`answer for ${provider} signed by ${signer}`);
  }
}

/** A manual hop waiting for a person, with the link that lets them answer. */
export interface PendingManualHop {
  caseId: string;
  provider: string;
  contact?: Provider['contact'];
  deadline: string;
  token: string;
}

/** What a manual-hop link shows the person who opens it. */
export interface ManualQuestion {
  link: ManualLink;
  case: Case;
  provider: Provider | undefined;
}

const CAMPAIGN_STARTS_AT_ONCE = 16;

/**
 * How far back a starting hub offers ended cases to its hooks again. A case's end is stored before its hook stores
 * the notifications (outside the case's compare-and-set), so a hub that died in between lost them; it is restarted
 * within minutes, and a longer window only re-reads ends whose notifications are stored. Offering twice is harmless:
 * the notify store keeps one delivery per idempotency key, and the key depends on the case, not on when it is built.
 */
const REOFFER_ENDED_MS = 15 * 60_000;
/** Per outcome, the newest cases (by creation: how the store lists) looked at, so a start reads a bounded number. */
const REOFFER_ENDED_MAX = 500;

export class Hub {
  readonly id: string;
  readonly registry: Registry;
  readonly store: HubStore;
  readonly log: Logger;
  private readonly key: KeyPair;
  /** The hub's own key as a registered key: what verifies the answers it signs for people. */
  private readonly ownKey: ProviderKey;
  private readonly retiredKeys: RetiredHubKey[];
  private readonly dispatcher: Dispatcher;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** The open cases this instance last stored: a transition starts from there rather than from a read. */
  private readonly cases = new CaseCache();
  private readonly observers = new Set<CaseObserver>();

  constructor(private readonly opts: HubOptions) {
    this.id = opts.id;
    this.key = opts.key;
    this.ownKey = { kid: opts.key.kid, publicKey: publicKeyToRaw(opts.key.publicKey) };
    this.retiredKeys = (opts.previousKeys ?? []).map((k) => ({ key: publicKeyFromRaw(k.publicKey), notAfter: Date.parse(k.notAfter) }));
    this.store = opts.store;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.registry = new Registry(opts.store);
    this.dispatcher = new Dispatcher({ hubId: opts.id, key: opts.key, store: opts.store, registry: this.registry, log: opts.log, now: this.now });
  }

  /**
   * Re-arm every open case's deadline and start claiming due deadlines. With hooks, offer them again what a hub
   * that died may have kept from them: the manual hops waiting for people and the cases that ended lately.
   */
  async start(): Promise<void> {
    const hooks = this.opts.hooks;
    const open = await this.store.openCaseIds();
    for (const id of open) {
      const c = await this.store.getCase(id);
      const due = c && pendingDeadline(c);
      if (due !== undefined) await this.store.setDeadline(id, due);
      // A hop past its deadline is not offered: its link has expired, and the first tick times it out.
      const waiting = c && waitingManualHop(c);
      if (hooks && waiting && waiting.attempt.deadline > this.now()) hooks.manualHop(c, waiting.hop.provider, hopQuery(c, waiting.hop, waiting.attempt));
    }
    if (open.length) this.log.info({ open: open.length }, 'resumed open cases');
    if (hooks) await this.reofferRecentEnds(hooks);
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 200);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    while (this.ticking) await new Promise((r) => setTimeout(r, 10));
    await this.dispatcher.close();
  }

  /** Calls `o` after every stored change of a case, on this instance; returns the way to stop. */
  observe(o: CaseObserver): () => void {
    this.observers.add(o);
    return () => this.observers.delete(o);
  }

  async startTraceback(body: unknown, requester: string): Promise<Case> {
    return this.begin(parse(TracebackInput, body), requester);
  }

  /** A trace forward (hub/forward/): asks `holder` who the call-back number is assigned to. */
  async startForward(input: ForwardStart, requester: string): Promise<Case> {
    const step = startForward(randomUUID(), input, requester, await this.context(undefined, undefined, [input.holder]));
    await this.store.createCase(step.case);
    this.stored(undefined, step.case);
    this.caseLog(step.case).info({ number: input.number, holder: input.holder }, 'trace forward started');
    await this.carryOut(step);
    return step.case;
  }

  /** Start one traceback per call of a campaign; every call is validated before the first starts. */
  async startCampaign(name: string, body: unknown, requester: string): Promise<Case[]> {
    const campaign = parse(CampaignName, name);
    const { tracebacks } = parse(CampaignInput, body);
    const started: Case[] = new Array(tracebacks.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < tracebacks.length; i = next++) started[i] = await this.begin({ ...tracebacks[i]!, campaign }, requester);
    };
    await Promise.all(Array.from({ length: Math.min(CAMPAIGN_STARTS_AT_ONCE, tracebacks.length) }, worker));
    this.log.info({ campaign, tracebacks: started.length }, 'campaign started');
    return started;
  }

  /**
   * A signed HopAnswer from an agent. The engine checks that it answers the case's open attempt (or its side
   * query) from the provider asked; an answer naming a case that does not exist is an UnknownQueryError.
   */
  async receiveAnswer(jws: string): Promise<Case> {
    let keys: ProviderKey[] = [];
    const now = this.now();
    const v = await verify(jws, {
      aud: this.id,
      typ: 'hop-answer',
      keys: async (iss, kid) => {
        keys = await this.registry.keysAt(iss, kid, now);
        return keys.map((k) => this.registry.keyObject(k.publicKey));
      },
      jti: this.store,
      now,
    });
    const answer = parse(HopAnswer, v.body);
    if (answer.provider !== v.claims.iss) throw new AnswerMismatchError(v.claims.iss, answer.provider);
    return this.applySigned(answer, { jws, keys });
  }

  /** What a manual-hop link asks; a ManualLinkError when it is forged, expired or already answered. */
  async manualQuestion(token: string): Promise<ManualQuestion> {
    const now = this.now();
    const link = openManualLink(token, this.id, manualLinkKeys(this.key.publicKey, this.retiredKeys, now), now);
    const c = await this.store.getCase(link.caseId);
    requireOpenQuestion(c, link);
    return { link, case: c!, provider: await this.registry.get(link.provider) };
  }

  /**
   * A person's answer through a manual-hop link. The hub signs it on their behalf as a HopAnswer of the asked
   * provider and applies it as it applies an agent's; a new upstream named by name is registered provisionally.
   */
  async receiveManualAnswer(token: string, body: unknown): Promise<Case> {
    const { link } = await this.manualQuestion(token);
    const input = parse(ManualAnswerInput, body);
    let upstream: Provider | undefined;
    if (input.result === 'upstream') {
      const named = input.upstream!;
      upstream = named.providerId
        ? await this.registry.get(named.providerId)
        : await this.registry.provisional(named.name!, { caseId: link.caseId, namedBy: link.provider, answeredBy: input.answeredBy.name }, this.now());
      if (!upstream) throw new MessageError('upstream.providerId', `no registered provider ${named.providerId}: give its name instead`, []);
      if (upstream.provisional) this.log.warn({ caseId: link.caseId, provider: upstream.id, name: upstream.name }, 'provisional provider registered from a manual answer');
    }
    const answeredBy = input.answeredBy.email ? { name: input.answeredBy.name, email: input.answeredBy.email } : { name: input.answeredBy.name };
    return this.transition(link.caseId, link.queryId, async (c) => {
      requireOpenQuestion(c, link);
      const now = this.now();
      const answer = manualAnswer(c, link, input, upstream && { id: upstream.id, name: upstream.name }, now);
      const jws = sign(answer, { iss: this.id, aud: this.id, typ: 'hop-answer', key: this.key, now });
      const step = applyAnswer(c, answer, { jws, keys: [this.ownKey], answeredBy }, await this.context(c, answer));
      this.caseLog(c).info({ provider: answer.provider, result: answer.result, answeredBy: answeredBy.name, sent: sentBy(step) }, 'manual hop answered');
      return step;
    });
  }

  /** Every manual hop waiting for a person, with a fresh link for each (to send to the provider's contact). */
  async pendingManualHops(): Promise<PendingManualHop[]> {
    const out: PendingManualHop[] = [];
    for (const c of await this.store.listCases({ status: 'open' })) {
      const waiting = waitingManualHop(c);
      if (!waiting) continue;
      const { hop, attempt } = waiting;
      const p = await this.registry.get(hop.provider);
      const token = signManualLink({ caseId: c.id, queryId: attempt.queryId, provider: hop.provider, expires: attempt.deadline }, this.id, this.key, this.now());
      out.push({ caseId: c.id, provider: hop.provider, ...(p?.contact && { contact: p.contact }), deadline: new Date(attempt.deadline).toISOString(), token });
    }
    return out;
  }

  /**
   * Long-poll of an agent: the provider's queued queries, waiting up to `waitMs` for one to arrive, signed for it
   * (in one envelope when its poll asks for that, hub/dispatch.ts).
   */
  async poll(pollJws: string, waitMs: number, signal?: AbortSignal): Promise<string[]> {
    const v = await verify(pollJws, {
      aud: this.id,
      typ: 'poll',
      keys: (iss, kid) => this.registry.keys(iss, kid, this.now()),
      jti: this.store,
      now: this.now(),
    });
    const { batch } = parse(PollBody, v.body);
    const queries = await waitForQueries(this.store, v.claims.iss, waitMs, signal);
    return this.dispatcher.sealForPoll(v.claims.iss, queries, batch === true);
  }

  getCase(id: string): Promise<Case | undefined> {
    return this.store.getCase(id);
  }

  /** End an open case as cancelled; an EngineRejection when it already ended. */
  async cancel(id: string, why: string): Promise<Case> {
    return this.transition(id, undefined, async (c) => cancelCase(c, why, await this.context(c)));
  }

  /** The case's evidence bundle, signed by the hub now. */
  async evidence(id: string): Promise<EvidenceBundle | undefined> {
    const c = await this.store.getCase(id);
    return c && buildEvidence(c, this.id, this.key, this.now());
  }

  /** Claim due deadlines (exactly once across hub instances) and time the waiting hops out. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (;;) {
        const due = await this.store.claimDue(this.now(), 64);
        for (const id of due) {
          await this.transition(id, undefined, async (c) => {
            const step = applyTimeout(c, await this.context(c));
            if (step.case !== c) this.caseLog(c).info({ provider: currentHop(c)?.provider, sent: sentBy(step) }, 'hop timed out');
            return step;
          }).catch((err: unknown) =>
            this.log.error({ caseId: id, err }, 'deadline handling failed'),
          );
        }
        if (due.length < 64) break;
      }
    } catch (err) {
      this.log.warn({ err }, 'deadline tick failed; retrying');
    } finally {
      this.ticking = false;
    }
  }

  private async reofferRecentEnds(hooks: CaseHooks): Promise<void> {
    const since = this.now() - REOFFER_ENDED_MS;
    let offered = 0;
    for (const status of OUTCOMES) {
      for (const c of await this.store.listCases({ status, limit: REOFFER_ENDED_MAX })) {
        if (c.endedAt === undefined || c.endedAt < since) continue;
        hooks.ended(c);
        offered++;
      }
    }
    if (offered) this.log.info({ cases: offered }, 'recently ended cases offered to the hooks again');
  }

  private async begin(input: TracebackInputT, requester: string): Promise<Case> {
    const step = startCase(randomUUID(), input, requester, await this.context(undefined, undefined, [input.firstProvider]));
    await this.store.createCase(step.case);
    this.stored(undefined, step.case);
    this.caseLog(step.case).info({ call: step.case.call, first: input.firstProvider, campaign: input.campaign, sent: sentBy(step) }, 'traceback started');
    await this.carryOut(step);
    return step.case;
  }

  private applySigned(answer: HopAnswer, signed: SignedAnswer): Promise<Case> {
    return this.transition(answer.tracebackId, answer.queryId, async (c) => {
      const step = applyAnswer(c, answer, signed, await this.context(c, answer));
      this.caseLog(c).info({ provider: answer.provider, result: answer.result, matches: answer.matches.length, sent: sentBy(step) }, 'hop answered');
      return step;
    });
  }

  /**
   * Load (the version this instance last stored, else the store's), apply, store with compare-and-set, then carry
   * out; re-read and re-run on a concurrent update by another instance.
   */
  private async transition(caseId: string, queryId: string | undefined, apply: (c: Case) => Promise<Step>): Promise<Case> {
    for (let attempt = 0; ; attempt++) {
      const cached = this.cases.get(caseId);
      const prev = cached ?? (await this.store.getCase(caseId));
      if (!prev) throw new UnknownQueryError(queryId ?? caseId);
      let step: Step;
      try {
        step = await apply(prev);
      } catch (err) {
        // The version in memory may be behind one another instance stored (an answer it took in moved the case
        // on): only the stored version may refuse. Read it and apply again.
        if (cached) {
          this.cases.forget(caseId);
          continue;
        }
        throw err;
      }
      if (step.case === prev && cached) {
        // Nothing to do on the version in memory: the same holds only if the stored version says so too.
        this.cases.forget(caseId);
        continue;
      }
      if (step.case === prev) {
        await this.carryOut(step);
        return prev;
      }
      step.case.rev = prev.rev + 1;
      try {
        await this.store.saveCase(step.case, prev);
      } catch (err) {
        this.cases.forget(caseId);
        if (err instanceof ConflictError && attempt < 5) continue;
        throw err;
      }
      this.stored(prev, step.case);
      await this.carryOut(step);
      return step.case;
    }
  }

  private async carryOut(step: Step): Promise<void> {
    const c = step.case;
    for (const e of step.effects) {
      switch (e.type) {
        case 'set-deadline':
          await this.store.setDeadline(c.id, e.at);
          break;
        case 'clear-deadline':
          await this.store.clearDeadline(c.id);
          break;
        case 'send-query':
          await this.dispatcher.send(c.id, e.provider, e.mode, e.query);
          // At info, the line of the event that caused the query names it (`sent`): one line per hop, not two.
          this.log.debug({ caseId: c.id, provider: e.provider, mode: e.mode, queryId: e.query.queryId }, 'hop query sent');
          if (e.mode === 'manual') this.opts.hooks?.manualHop(c, e.provider, e.query);
          break;
        case 'ended':
          this.caseLog(c).info({ outcome: e.outcome, hops: c.hops.length, detail: c.detail, shaken: c.shaken?.path }, 'traceback ended');
          this.opts.hooks?.ended(c);
          break;
      }
    }
  }

  /**
   * Everything the engine may look up for this case: the providers in its chain, any the answer names, and the
   * provider behind the answer's SHAKEN signer. The engine looks providers up synchronously: all is loaded first.
   */
  private async context(c: Case | undefined, answer?: HopAnswer, also: readonly string[] = []): Promise<EngineContext> {
    const named = answer?.matches.flatMap((m) => (m.upstream?.providerId ? [m.upstream.providerId] : [])) ?? [];
    const ids = [...new Set([...(c?.hops.map((h) => h.provider) ?? []), ...named, ...also])];
    const attestation = answer && !c?.shaken ? attestationOf(answer) : undefined;
    const [found, signer] = await Promise.all([
      Promise.all(ids.map((id) => this.registry.get(id))),
      attestation ? this.registry.bySigner(attestation.signer) : undefined,
    ]);
    const known = new Map<string, ProviderView>();
    for (const p of found) if (p) known.set(p.id, providerView(p));
    return {
      now: this.now(),
      cfg: this.opts.engine,
      newQueryId: randomUUID,
      provider: (id) => known.get(id),
      bySigner: (s) => (signer && s === attestation?.signer ? providerView(signer) : undefined),
    };
  }

  private stored(before: Case | undefined, after: Case): void {
    this.cases.keep(after);
    for (const o of this.observers) o(before, after);
  }

  /** Lines about a case carry its id: added to each line, as a child logger per line costs more than the line. */
  private caseLog(c: Case): { info(fields: object, msg: string): void } {
    return { info: (fields, msg) => this.log.info({ caseId: c.id, ...fields }, msg) };
  }
}

/** The queries a step sends, named on the log line of the event that caused them. */
function sentBy(step: Step): { provider: string; mode: string; queryId: string; windowSec: number }[] {
  return step.effects.flatMap((e) => (e.type === 'send-query' ? [{ provider: e.provider, mode: e.mode, queryId: e.query.queryId, windowSec: e.query.call.windowSec }] : []));
}

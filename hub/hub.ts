/**
 * The hub service: runs the pure engine against the store and carries out its effects.
 * Order of every transition (DESIGN §8): store the case → arm/clear its deadline → send queries. A crash between
 * two steps loses nothing: on restart `resume()` re-arms every open case's deadline, and a deadline that fires for
 * a query that never went out simply sends the next attempt.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { verify, type Verified } from '../proto/envelope.js';
import type { KeyPair } from '../proto/keys.js';
import { HopAnswer, parse, type TracebackInput as TracebackInputT, TracebackInput } from '../proto/messages.js';
import type { Case } from './case.js';
import { Dispatcher } from './dispatch.js';
import {
  applyAnswer,
  applyTimeout,
  type EngineConfig,
  type EngineContext,
  pendingDeadline,
  startCase,
  type Step,
} from './engine.js';
import { providerView, Registry } from './registry.js';
import { ConflictError, type HubStore, type Provider } from './store/store.js';

export interface HubOptions {
  id: string;
  key: KeyPair;
  store: HubStore;
  engine: EngineConfig;
  log: Logger;
  now?: () => number;
  /** How often due deadlines are claimed. */
  tickMs?: number;
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

export class Hub {
  readonly id: string;
  readonly registry: Registry;
  readonly store: HubStore;
  readonly log: Logger;
  private readonly dispatcher: Dispatcher;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(private readonly opts: HubOptions) {
    this.id = opts.id;
    this.store = opts.store;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.registry = new Registry(opts.store);
    this.dispatcher = new Dispatcher({ hubId: opts.id, key: opts.key, store: opts.store, registry: this.registry, log: opts.log, now: this.now });
  }

  /** Re-arm every open case's deadline and start claiming due deadlines. */
  async start(): Promise<void> {
    const open = await this.store.openCaseIds();
    for (const id of open) {
      const c = await this.store.getCase(id);
      const due = c && pendingDeadline(c);
      if (due !== undefined) await this.store.setDeadline(id, due);
    }
    if (open.length) this.log.info({ open: open.length }, 'resumed open cases');
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 200);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    while (this.ticking) await new Promise((r) => setTimeout(r, 10));
  }

  async startTraceback(body: unknown, requester: string): Promise<Case> {
    const input: TracebackInputT = parse(TracebackInput, body);
    const ctx = await this.context(undefined, [input.firstProvider]);
    const step = startCase(randomUUID(), input, requester, ctx);
    await this.store.createCase(step.case);
    this.caseLog(step.case).info({ call: step.case.call, first: input.firstProvider, campaign: input.campaign }, 'traceback started');
    await this.carryOut(step);
    return step.case;
  }

  /** A signed HopAnswer from an agent (or a manual answer signed on a person's behalf). */
  async receiveAnswer(jws: string): Promise<Case> {
    const v: Verified = await verify(jws, {
      aud: this.id,
      typ: 'hop-answer',
      keys: (iss, kid) => this.registry.keys(iss, kid, this.now()),
      jti: this.store,
      now: this.now(),
    });
    const answer = parse(HopAnswer, v.body);
    if (answer.provider !== v.claims.iss) throw new AnswerMismatchError(v.claims.iss, answer.provider);
    const caseId = await this.store.caseOfQuery(answer.queryId);
    if (!caseId || caseId !== answer.tracebackId) throw new UnknownQueryError(answer.queryId);
    return this.transition(caseId, async (c) => {
      const named = answer.matches.flatMap((m) => (m.upstream?.providerId ? [m.upstream.providerId] : []));
      const step = applyAnswer(c, answer, jws, await this.context(c, named));
      this.caseLog(c).info({ provider: answer.provider, result: answer.result, matches: answer.matches.length }, 'hop answered');
      return step;
    });
  }

  /** Long-poll of an agent: the provider's queued, signed queries, waiting up to `waitMs` for one to arrive. */
  async poll(pollJws: string, waitMs: number, signal?: AbortSignal): Promise<string[]> {
    const v = await verify(pollJws, {
      aud: this.id,
      typ: 'poll',
      keys: (iss, kid) => this.registry.keys(iss, kid, this.now()),
      jti: this.store,
      now: this.now(),
    });
    const provider = v.claims.iss;
    const take = async () => (await this.store.take(provider, 16)).map((q) => q.jws);
    if (waitMs <= 0) return take();
    // Subscribe before the first take: a query enqueued between the two would otherwise wait out the poll.
    return new Promise<string[]>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const attempt = () =>
        take().then(
          (items) => items.length && finish(() => resolve(items)),
          (err: unknown) => finish(() => reject(err)),
        );
      const onAbort = () => finish(() => resolve([]));
      const unsubscribe = this.store.onEnqueue(provider, () => void attempt());
      const timer = setTimeout(() => finish(() => resolve([])), waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      void attempt();
    });
  }

  getCase(id: string): Promise<Case | undefined> {
    return this.store.getCase(id);
  }

  /** Claim due deadlines (exactly once across hub instances) and time the waiting hops out. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (;;) {
        const due = await this.store.claimDue(this.now(), 64);
        for (const id of due) {
          await this.transition(id, async (c) => applyTimeout(c, await this.context(c))).catch((err: unknown) =>
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

  /** Load, apply, store with compare-and-set, then carry out; re-run on a concurrent update by another instance. */
  private async transition(caseId: string, apply: (c: Case) => Promise<Step>): Promise<Case> {
    for (let attempt = 0; ; attempt++) {
      const prev = await this.store.getCase(caseId);
      if (!prev) throw new UnknownQueryError(caseId);
      const step = await apply(prev);
      if (step.case === prev) {
        await this.carryOut(step);
        return prev;
      }
      step.case.rev = prev.rev + 1;
      try {
        await this.store.saveCase(step.case);
      } catch (err) {
        if (err instanceof ConflictError && attempt < 5) continue;
        throw err;
      }
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
          this.caseLog(c).info({ provider: e.provider, mode: e.mode, queryId: e.query.queryId, windowSec: e.query.call.windowSec }, 'hop query sent');
          break;
        case 'ended':
          this.caseLog(c).info({ outcome: e.outcome, hops: c.hops.length, detail: c.detail }, 'traceback ended');
          break;
      }
    }
  }

  /** Everything the engine may look up for this case: the providers in its chain and any it is about to name. */
  private async context(c: Case | undefined, named: readonly string[] = []): Promise<EngineContext> {
    const known = new Map<string, Provider>();
    for (const id of new Set([...(c?.hops.map((h) => h.provider) ?? []), ...named])) {
      const p = await this.registry.get(id);
      if (p) known.set(id, p);
    }
    // The engine looks providers up synchronously: everything it may name is loaded first.
    return {
      now: this.now(),
      cfg: this.opts.engine,
      newQueryId: randomUUID,
      provider: (id) => {
        const p = known.get(id);
        return p && providerView(p);
      },
    };
  }

  private caseLog(c: Case): Logger {
    return this.log.child({ caseId: c.id });
  }
}

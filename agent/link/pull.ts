/**
 * The agent's link to its hub in pull mode: outbound-only HTTPS, so a carrier opens no inbound port.
 * It long-polls for signed hop queries and answers each through the hub link (hub-link.ts), polling again at
 * once while answers are under way. Failures back off (1 s doubling to 30 s) and never stop the loop.
 * Stopping ends the poll at once (no new queries) but lets the answers under way reach the hub: a query the
 * agent took and never answered costs the traceback a hop deadline and a retry.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { request } from 'undici';
import { sign } from '../../proto/envelope.js';
import type { PollBody } from '../../proto/hop-queries.js';
import type { HubLink } from './hub-link.js';

export interface PullOptions {
  waitSec: number;
  log: Logger;
}

/** Answers under way before the loop waits for one to finish before polling again. */
const MAX_IN_FLIGHT = 256;

export class PullLink {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Ends the long poll and the back-off wait. */
  private readonly polling = new AbortController();
  /** Cuts the answers under way: only when they outlive the stop's grace. */
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly link: HubLink,
    private readonly o: PullOptions,
  ) {
    // Every answer under way listens for the stop.
    setMaxListeners(MAX_IN_FLIGHT + 16, this.abort.signal);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Take no more queries; give the answers under way up to `graceMs` to reach the hub, then cut them. */
  async stop(graceMs = 5_000): Promise<void> {
    this.running = false;
    this.polling.abort();
    await this.loop;
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
    if (await Promise.race([Promise.allSettled([...this.inFlight]).then(() => false), late])) {
      this.o.log.warn({ answers: this.inFlight.size, graceMs }, 'stopping with hop answers still under way: cutting them');
      this.abort.abort();
      await Promise.allSettled([...this.inFlight]);
    }
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    let backoff = 1000;
    while (this.running) {
      try {
        const queries = await this.pollOnce();
        backoff = 1000;
        for (const jws of queries) this.track(this.handle(jws));
        while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight);
      } catch (err) {
        if (!this.running) return;
        this.o.log.warn({ err: String(err), retryInMs: backoff }, 'hub poll failed');
        await sleep(backoff, this.polling.signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  private async pollOnce(): Promise<string[]> {
    const { provider, hubId, key } = this.link.o;
    // `batch`: the queries this poll takes may come in one envelope (proto/hop-queries.ts).
    const poll = sign({ batch: true } satisfies PollBody, { iss: provider, aud: hubId, typ: 'poll', key });
    const res = await request(this.link.url(`/v1/agent/queries?wait=${this.o.waitSec}`), {
      dispatcher: this.link.http,
      headers: { authorization: `Hoptrace ${poll}` },
      signal: this.polling.signal,
    });
    const body = (await res.body.json()) as { queries?: unknown; error?: string };
    if (res.statusCode !== 200) throw new Error(`hub refused the poll: ${res.statusCode} ${body.error ?? ''}`);
    return Array.isArray(body.queries) ? body.queries.filter((q): q is string => typeof q === 'string') : [];
  }

  private async handle(jws: string): Promise<void> {
    let queries;
    try {
      queries = await this.link.open(jws);
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'refused a hop query that failed verification');
      return;
    }
    for (const q of queries) this.track(this.link.answer(q, this.abort.signal));
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

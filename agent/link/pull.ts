/**
 * The agent's link to its hub in pull mode: outbound-only HTTPS, so a carrier opens no inbound port.
 * It long-polls for signed hop queries, answers each through `handle`, and posts the signed answer back.
 * Failures back off (1 s doubling to 30 s) and never stop the loop.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { Agent as HttpAgent, request } from 'undici';
import { type JtiStore, MemoryJtiStore, sign, verify } from '../../proto/envelope.js';
import type { KeyPair } from '../../proto/keys.js';
import { type HopAnswer, HopQuery, parse } from '../../proto/messages.js';

export interface PullLinkOptions {
  hubUrl: string;
  hubId: string;
  /** The hub's public keys (rotation: any of them may have signed). */
  hubKeys: readonly KeyObject[];
  provider: string;
  key: KeyPair;
  waitSec: number;
  log: Logger;
  handle(q: HopQuery): Promise<HopAnswer>;
  jti?: JtiStore;
}

export class PullLink {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly http: HttpAgent;
  private readonly jti: JtiStore;

  constructor(private readonly o: PullLinkOptions) {
    // The long poll holds a request open for waitSec: allow it, plus slack.
    this.http = new HttpAgent({ headersTimeout: (o.waitSec + 15) * 1000, bodyTimeout: 30_000, connections: 4 });
    this.jti = o.jti ?? new MemoryJtiStore();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
    await this.http.close();
  }

  private async run(): Promise<void> {
    let backoff = 1000;
    while (this.running) {
      try {
        const queries = await this.pollOnce();
        backoff = 1000;
        await Promise.all(queries.map((q) => this.answer(q)));
      } catch (err) {
        if (!this.running) return;
        this.o.log.warn({ err: String(err), retryInMs: backoff }, 'hub poll failed');
        await sleep(backoff, this.abort.signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  private async pollOnce(): Promise<string[]> {
    const poll = sign({}, { iss: this.o.provider, aud: this.o.hubId, typ: 'poll', key: this.o.key });
    const res = await request(`${this.o.hubUrl.replace(/\/$/, '')}/v1/agent/queries?wait=${this.o.waitSec}`, {
      dispatcher: this.http,
      headers: { authorization: `Hoptrace ${poll}` },
      signal: this.abort.signal,
    });
    const body = (await res.body.json()) as { queries?: unknown; error?: string };
    if (res.statusCode !== 200) throw new Error(`hub refused the poll: ${res.statusCode} ${body.error ?? ''}`);
    return Array.isArray(body.queries) ? body.queries.filter((q): q is string => typeof q === 'string') : [];
  }

  /** One signed query about one call → one signed answer, logged for the CPNI audit trail. */
  private async answer(jws: string): Promise<void> {
    let query: HopQuery;
    try {
      const v = await verify(jws, {
        aud: this.o.provider,
        typ: 'hop-query',
        keys: (iss) => (iss === this.o.hubId ? this.o.hubKeys : []),
        jti: this.jti,
      });
      query = parse(HopQuery, v.body);
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'refused a hop query that failed verification');
      return;
    }
    const answer = await this.o.handle(query);
    const signed = sign(answer, { iss: this.o.provider, aud: this.o.hubId, typ: 'hop-answer', key: this.o.key });
    this.o.log.info(
      {
        audit: 'hop-answer',
        queryId: query.queryId,
        caseId: query.tracebackId,
        askedBy: query.askedBy,
        called: query.call.called,
        result: answer.result,
        matches: answer.matches.length,
      },
      'answered hop query',
    );
    const res = await request(`${this.o.hubUrl.replace(/\/$/, '')}/v1/agent/answers`, {
      dispatcher: this.http,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jws: signed }),
      signal: this.abort.signal,
    });
    const text = await res.body.text();
    if (res.statusCode !== 202) this.o.log.warn({ queryId: query.queryId, status: res.statusCode, body: text.slice(0, 200) }, 'hub refused the answer');
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/**
 * What both ways of receiving hop queries share (pull.ts, push.ts): open a signed query from the hub, or several
 * in one envelope (signature, audience, type, age, replay; proto/hop-queries.ts), answer each through `handle`,
 * log the answer for the CPNI audit trail, sign it and
 * post it to the hub (outbox.ts: with the other answers of the same moment). One query is about one call; the
 * answer goes back the way pull answers always went.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { Agent as HttpAgent } from 'undici';
import { EnvelopeError, type JtiStore, MemoryJtiStore, sign, verify } from '../../proto/envelope.js';
import { HOP_QUERIES, HOP_QUERY, HopQueries } from '../../proto/hop-queries.js';
import type { KeyPair } from '../../proto/keys.js';
import { type HopAnswer, HopQuery, parse } from '../../proto/messages.js';
import { AnswerOutbox } from './outbox.js';

export interface HubLinkOptions {
  hubUrl: string;
  hubId: string;
  /** The hub's public keys (rotation: any of them may have signed). */
  hubKeys: readonly KeyObject[];
  provider: string;
  key: KeyPair;
  log: Logger;
  handle(q: HopQuery): Promise<HopAnswer>;
  jti?: JtiStore;
  /** Longest an HTTP exchange with the hub may take before a reply starts, ms (pull raises it for its long poll). */
  headersTimeoutMs?: number;
}

export class HubLink {
  readonly http: HttpAgent;
  private readonly jti: JtiStore;
  private readonly base: string;
  private readonly outbox: AnswerOutbox;

  constructor(readonly o: HubLinkOptions) {
    this.http = new HttpAgent({ headersTimeout: o.headersTimeoutMs ?? 30_000, bodyTimeout: 30_000, connections: 16 });
    this.jti = o.jti ?? new MemoryJtiStore();
    this.base = o.hubUrl.replace(/\/$/, '');
    this.outbox = new AnswerOutbox({ url: this.url('/v1/agent/answers'), http: this.http, log: o.log });
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /**
   * The queries inside a signed envelope (`hop-query`: one; `hop-queries`: several), if the hub signed it for this
   * provider; an EnvelopeError or MessageError otherwise.
   */
  async open(jws: string): Promise<HopQuery[]> {
    const v = await verify(jws, {
      aud: this.o.provider,
      keys: (iss) => (iss === this.o.hubId ? this.o.hubKeys : []),
      jti: this.jti,
    });
    const { typ } = v.claims;
    if (typ === HOP_QUERY) return [parse(HopQuery, v.body)];
    if (typ === HOP_QUERIES) return parse(HopQueries, v.body).queries;
    throw new EnvelopeError('wrong-type', `typ is "${typ}", expected "${HOP_QUERY}" or "${HOP_QUERIES}"`);
  }

  /**
   * One query about one call → one signed answer, logged, posted to the hub; resolves once the hub has it.
   * Failures are logged, never thrown.
   */
  async answer(query: HopQuery, signal?: AbortSignal): Promise<void> {
    try {
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
      await this.outbox.send(query.queryId, signed, signal);
    } catch (err) {
      this.o.log.warn({ queryId: query.queryId, err: String(err) }, 'could not answer the hop query');
    }
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

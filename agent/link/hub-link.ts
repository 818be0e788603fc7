/**
 * What both ways of receiving hop queries share (pull.ts, push.ts): open a signed query from the hub (signature,
 * audience, type, age, replay), answer it through `handle`, log the answer for the CPNI audit trail, sign it and
 * post it to the hub. One query is about one call; the answer goes back the way pull answers always went.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { Agent as HttpAgent, request } from 'undici';
import { type JtiStore, MemoryJtiStore, sign, verify } from '../../proto/envelope.js';
import type { KeyPair } from '../../proto/keys.js';
import { type HopAnswer, HopQuery, parse } from '../../proto/messages.js';

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

  constructor(readonly o: HubLinkOptions) {
    this.http = new HttpAgent({ headersTimeout: o.headersTimeoutMs ?? 30_000, bodyTimeout: 30_000, connections: 16 });
    this.jti = o.jti ?? new MemoryJtiStore();
    this.base = o.hubUrl.replace(/\/$/, '');
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** The query inside a signed envelope, if the hub signed it for this provider; an EnvelopeError or MessageError otherwise. */
  async open(jws: string): Promise<HopQuery> {
    const v = await verify(jws, {
      aud: this.o.provider,
      typ: 'hop-query',
      keys: (iss) => (iss === this.o.hubId ? this.o.hubKeys : []),
      jti: this.jti,
    });
    return parse(HopQuery, v.body);
  }

  /** One query about one call → one signed answer, logged, posted to the hub. Failures are logged, never thrown. */
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
      const res = await request(this.url('/v1/agent/answers'), {
        dispatcher: this.http,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jws: signed }),
        ...(signal && { signal }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 202) this.o.log.warn({ queryId: query.queryId, status: res.statusCode, body: text.slice(0, 200) }, 'hub refused the answer');
    } catch (err) {
      this.o.log.warn({ queryId: query.queryId, err: String(err) }, 'could not answer the hop query');
    }
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

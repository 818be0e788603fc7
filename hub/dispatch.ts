/**
 * Dispatch of hop queries. Every query reaches its one provider (aud) signed by the hub:
 * - agent-pull: queued in the store; the provider's agent long-polls for it (outbound-only from the carrier), and
 *   the queries a poll takes are signed then (`sealForPoll`): together in one `hop-queries` envelope when the
 *   agent's poll says it reads them, so a busy agent costs one signature per poll rather than one per query
 *   (and verifies one); else each in its own `hop-query` envelope;
 * - agent-push: signed and POSTed to the agent's push URL with undici (`{ queries: [jws] }`, agent/link/push.ts). A failed
 *   push is logged and left to the hop's deadline, which retries with backoff: a query is never queued for a
 *   pull that a push-mode agent would not make;
 * - manual: nothing is sent to a machine; the hop waits for a person, who answers through a signed link
 *   (hub/manual.ts, listed for ops by `GET /v1/manual`).
 */
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { sign } from '../proto/envelope.js';
import type { KeyPair } from '../proto/keys.js';
import type { HopQuery } from '../proto/messages.js';
import { HOP_QUERIES, HOP_QUERY, type HopQueries } from '../proto/hop-queries.js';
import type { Registry } from './registry.js';
import type { HubStore } from './store/store.js';

export interface DispatcherOptions {
  hubId: string;
  key: KeyPair;
  store: HubStore;
  registry: Registry;
  log: Logger;
  now: () => number;
  /** Longest wait for a push endpoint to accept, ms (default 5000). */
  pushTimeoutMs?: number;
}

export class Dispatcher {
  private readonly http: Agent;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: DispatcherOptions) {
    const timeout = o.pushTimeoutMs ?? 5_000;
    this.http = new Agent({ connections: 16, headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: timeout });
  }

  async send(caseId: string, provider: string, mode: 'agent' | 'manual', query: HopQuery): Promise<void> {
    const p = await this.o.registry.get(provider);
    if (mode === 'manual') {
      this.o.log.info({ caseId, provider, contact: p?.contact, deadline: query.deadline }, 'manual hop waits for a person');
      return;
    }
    if (p?.reach === 'agent-push' && p.pushUrl) {
      const jws = sign(query, { iss: this.o.hubId, aud: provider, typ: HOP_QUERY, key: this.o.key, now: this.o.now() });
      this.track(this.push(p.pushUrl, provider, query.queryId, jws));
      return;
    }
    await this.o.store.enqueue(provider, query);
  }

  /** The queries a poll of `provider` took, signed for it: in one `hop-queries` envelope when `together`. */
  sealForPoll(provider: string, queries: HopQuery[], together: boolean): string[] {
    if (queries.length === 0) return [];
    const envelope = { iss: this.o.hubId, aud: provider, key: this.o.key, now: this.o.now() };
    if (together) return [sign({ queries } satisfies HopQueries, { ...envelope, typ: HOP_QUERIES })];
    return queries.map((q) => sign(q, { ...envelope, typ: HOP_QUERY }));
  }

  /** Waits for pushes under way, then closes the connections. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.http.close();
  }

  /** Not awaited by the transition: the agent answers on its own request, and the deadline covers a failure. */
  private async push(url: string, provider: string, queryId: string, jws: string): Promise<void> {
    try {
      const res = await request(url, {
        dispatcher: this.http,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ queries: [jws] }),
      });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`push endpoint answered ${res.statusCode} ${text.slice(0, 200)}`);
    } catch (err) {
      this.o.log.warn({ provider, queryId, err: String(err) }, 'push failed; the hop deadline retries it');
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}

/**
 * Dispatch of hop queries. Every query is signed by the hub for its one provider (aud) and then
 * - agent-pull: queued in the store; the provider's agent long-polls for it (outbound-only from the carrier);
 * - agent-push: POSTed to the agent's URL with undici; if that fails the query stays queued for a pull, and the
 *   hop's deadline retries it either way;
 * - manual: queued for the provider's people (answered through the manual-hop API), with a 24 h deadline.
 */
import type { Logger } from 'pino';
import { request } from 'undici';
import { sign } from '../proto/envelope.js';
import type { KeyPair } from '../proto/keys.js';
import type { HopQuery } from '../proto/messages.js';
import type { Registry } from './registry.js';
import type { HubStore } from './store/store.js';

export interface DispatcherOptions {
  hubId: string;
  key: KeyPair;
  store: HubStore;
  registry: Registry;
  log: Logger;
  now: () => number;
}

export class Dispatcher {
  constructor(private readonly o: DispatcherOptions) {}

  async send(caseId: string, provider: string, mode: 'agent' | 'manual', query: HopQuery): Promise<void> {
    const jws = sign(query, { iss: this.o.hubId, aud: provider, typ: 'hop-query', key: this.o.key, now: this.o.now() });
    await this.o.store.enqueue(mode === 'manual' ? manualQueue(provider) : provider, { queryId: query.queryId, caseId, jws });
    if (mode === 'agent') {
      const p = await this.o.registry.get(provider);
      if (p?.reach === 'agent-push' && p.pushUrl) void this.push(p.pushUrl, provider);
    }
  }

  /** Nudge a push-mode agent: it is handed every query queued for it. */
  private async push(url: string, provider: string): Promise<void> {
    const items = await this.o.store.take(provider, 16);
    if (!items.length) return;
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ queries: items.map((q) => q.jws) }),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`push endpoint answered ${res.statusCode}`);
    } catch (err) {
      this.o.log.warn({ provider, err: String(err) }, 'push failed; queries stay queued for pull or retry');
      for (const q of items) await this.o.store.enqueue(provider, q);
    }
  }
}

/** Manual hops wait in their own queue so that an agent never takes a person's question. */
export function manualQueue(provider: string): string {
  return `manual:${provider}`;
}

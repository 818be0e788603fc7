/**
 * Signed answers on their way to the hub, several per request: answers signed in the same turn of the event loop
 * (the queries of one poll are answered together) leave in one POST `{ answers: [jws…] }` (hub/api/agents.ts), so
 * a busy agent pays for one request per batch rather than one per answer. A lone answer goes as `{ jws }`, the
 * form every hub accepts. An answer's promise settles when the request carrying it did; failures are logged,
 * never thrown: an answer that did not arrive costs its traceback a hop deadline and a retry.
 */
import type { Logger } from 'pino';
import { type Dispatcher, request } from 'undici';

/** Answers per request: well under the hub's limit (256) and its body limit (1 MB) at a few kilobytes each. */
export const ANSWERS_PER_POST = 64;

interface Outgoing {
  queryId: string;
  jws: string;
  signal: AbortSignal | undefined;
  sent: () => void;
}

/** What the hub says about each answer of a batch, in order. */
type Results = { results?: ({ refused?: number; error?: string } | null)[] };

export class AnswerOutbox {
  private pending: Outgoing[] = [];
  private scheduled = false;

  constructor(private readonly o: { url: string; http: Dispatcher; log: Logger }) {}

  /** Resolves once the request carrying the answer has its reply (or failed, which is logged). */
  send(queryId: string, jws: string, signal?: AbortSignal): Promise<void> {
    return new Promise((sent) => {
      this.pending.push({ queryId, jws, signal, sent });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    for (let i = 0; i < all.length; i += ANSWERS_PER_POST) void this.post(all.slice(i, i + ANSWERS_PER_POST));
  }

  private async post(batch: Outgoing[]): Promise<void> {
    const queryIds = batch.map((a) => a.queryId);
    try {
      // Answers under a pull link share its stop signal; answers of different senders are cut by any of theirs.
      const signals = [...new Set(batch.flatMap((a) => (a.signal ? [a.signal] : [])))];
      const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      const body = batch.length === 1 ? { jws: batch[0]!.jws } : { answers: batch.map((a) => a.jws) };
      const res = await request(this.o.url, {
        dispatcher: this.o.http,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        ...(signal && { signal }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 202) {
        this.o.log.warn({ queryIds, status: res.statusCode, body: text.slice(0, 200) }, 'hub refused the answer');
        return;
      }
      if (batch.length > 1) this.logRefusals(batch, text);
    } catch (err) {
      this.o.log.warn({ queryIds, err: String(err) }, 'could not answer the hop query');
    } finally {
      for (const a of batch) a.sent();
    }
  }

  private logRefusals(batch: Outgoing[], text: string): void {
    let results: Results['results'];
    try {
      results = (JSON.parse(text) as Results).results;
    } catch {
      results = undefined;
    }
    if (!Array.isArray(results)) {
      this.o.log.warn({ queryIds: batch.map((a) => a.queryId), body: text.slice(0, 200) }, 'hub answered a batch of answers without results');
      return;
    }
    results.forEach((r, i) => {
      if (r?.refused !== undefined) this.o.log.warn({ queryId: batch[i]?.queryId, status: r.refused, body: r.error }, 'hub refused the answer');
    });
  }
}

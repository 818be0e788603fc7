/**
 * A subscriber's webhook for tests: a real HTTP server on loopback that records every POST it gets and answers
 * by a script (e.g. 503 for the first attempts), verifying each notification as a real receiver would, with the
 * hub key it pinned and its own subscriber id.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EvidenceReport } from '../../../hub/evidence-check.js';
import type { Notification } from '../../../hub/notify/document.js';
import { checkNotification } from '../../../hub/notify/verify.js';

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  doc: Notification<any>;
  check: EvidenceReport;
  /** What the receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Answered with 2xx (first of each idempotency key, as a receiver that drops duplicates keeps them). */
  accepted(): Received[];
  waitFor(n: number, pred?: (r: Received) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** `answer(n)`: the status for the n-th request (1-based); default 200. */
export async function startReceiver(o: { subscriber: string; hubKey: string; answer?: (n: number) => number; path?: string }): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const status = o.answer?.(received.length + 1) ?? 200;
      const doc = JSON.parse(raw) as Notification<any>;
      received.push({ headers: req.headers, raw, doc, check: checkNotification(doc, { hubKey: o.hubKey, subscriber: o.subscriber }), status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{"ok":true}' : '{"error":"receiver down for the test"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${o.path ?? '/hoptrace'}`;
  const accepted = () => {
    const seen = new Set<string>();
    return received.filter((r) => r.status < 300 && !seen.has(r.doc.idempotencyKey) && seen.add(r.doc.idempotencyKey));
  };
  return {
    url,
    received,
    accepted,
    async waitFor(n, pred = () => true, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const got = received.filter(pred);
        if (got.length >= n) return got;
        if (Date.now() > until) throw new Error(`receiver ${o.subscriber}: ${got.length} of ${n} notifications within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

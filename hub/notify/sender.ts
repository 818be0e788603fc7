/**
 * Sends one delivery to its webhook with undici: a POST of the sealed notification, with headers a receiver can
 * act on before parsing the body (`Idempotency-Key` to drop a duplicate, the kind, the attempt). Any 2xx is
 * delivered; anything else — a status, a refused connection, a timeout — is a failure with its reason, retried
 * by the queue. Redirects are not followed: a subscriber's URL is registered, not discovered.
 */
import { Agent, request } from 'undici';
import type { Delivery } from './delivery.js';

export type SendResult = { ok: true; status: number } | { ok: false; error: string };

export class WebhookSender {
  private readonly http: Agent;

  constructor(timeoutMs: number) {
    this.http = new Agent({ connections: 8, connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  async send(d: Delivery): Promise<SendResult> {
    try {
      const res = await request(d.url, {
        dispatcher: this.http,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': d.id,
          'x-hoptrace-kind': d.kind,
          'x-hoptrace-attempt': String(d.attempts + 1),
        },
        body: d.body,
      });
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode };
      return { ok: false, error: `receiver answered ${res.statusCode}${text ? `: ${text.slice(0, 200)}` : ''}` };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      return { ok: false, error: `${e.code ?? 'error'}: ${e.message ?? String(err)}` };
    }
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

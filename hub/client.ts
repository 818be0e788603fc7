/** A small client of the hub API for the CLI and scripts (bearer token). */
import { request } from 'undici';
import type { Case } from './case.js';
import type { Provider } from './store/store.js';

export class HubApiError extends Error {
  override readonly name = 'HubApiError';
  constructor(
    readonly status: number,
    readonly body: { error?: string; path?: string },
  ) {
    super(`hub answered ${status}: ${body.error ?? 'no reason given'}${body.path ? ` (at ${body.path})` : ''}`);
  }
}

export class HubClient {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  startTraceback(body: unknown): Promise<Case> {
    return this.call('POST', '/v1/tracebacks', body);
  }

  getTraceback(id: string): Promise<Case> {
    return this.call('GET', `/v1/tracebacks/${encodeURIComponent(id)}`);
  }

  addProvider(body: unknown): Promise<Provider> {
    return this.call('POST', '/v1/providers', body);
  }

  async listProviders(): Promise<Provider[]> {
    return (await this.call<{ providers: Provider[] }>('GET', '/v1/providers')).providers;
  }

  /** Poll a traceback until it ends (or `timeoutMs` passes). */
  async waitForEnd(id: string, timeoutMs: number, everyMs = 100): Promise<Case> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.getTraceback(id);
      if (c.status !== 'open' || Date.now() > until) return c;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await request(`${this.url.replace(/\/$/, '')}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const json = (await res.body.json().catch(() => ({}))) as T & { error?: string; path?: string };
    if (res.statusCode >= 300) throw new HubApiError(res.statusCode, json);
    return json;
  }
}

/** A small client of the hub API for the CLI and scripts (bearer token). */
import { Agent, request } from 'undici';
import type { CampaignGraph } from './campaign.js';
import type { Case, CaseKind } from './case.js';
import { DnoClient } from './dno/client.js';
import type { EvidenceBundle } from './evidence.js';
import { NotifyClient } from './notify/client.js';
import type { ReportName } from './reports.js';
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

export interface PendingManual {
  caseId: string;
  provider: string;
  contact?: Provider['contact'];
  deadline: string;
  url: string;
}

/** Tries of one request while the hub answers 429 (each after the Retry-After it gives). */
const MAX_RATE_LIMITED_TRIES = 5;

export class HubClient {
  private readonly http = new Agent({ connections: 4 });

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  /** Closes the connections to the hub (a one-shot command exits at once instead of waiting out keep-alive). */
  close(): Promise<void> {
    return this.http.close();
  }

  startTraceback(body: unknown): Promise<Case> {
    return this.call('POST', '/v1/tracebacks', body);
  }

  getTraceback(id: string): Promise<Case> {
    return this.call('GET', `/v1/tracebacks/${encodeURIComponent(id)}`);
  }

  cancelTraceback(id: string, reason?: string): Promise<Case> {
    return this.call('POST', `/v1/tracebacks/${encodeURIComponent(id)}/cancel`, reason ? { reason } : {});
  }

  evidence(id: string): Promise<EvidenceBundle> {
    return this.call('GET', `/v1/tracebacks/${encodeURIComponent(id)}/evidence`);
  }

  startCampaign(name: string, tracebacks: unknown[]): Promise<{ campaign: string; tracebacks: { id: string; status: string }[] }> {
    return this.call('POST', `/v1/campaigns/${encodeURIComponent(name)}/tracebacks`, { tracebacks });
  }

  campaignGraph(name: string): Promise<CampaignGraph> {
    return this.call('GET', `/v1/campaigns/${encodeURIComponent(name)}/graph`);
  }

  addProvider(body: unknown): Promise<Provider> {
    return this.call('POST', '/v1/providers', body);
  }

  getProvider(id: string): Promise<Provider> {
    return this.call('GET', `/v1/providers/${encodeURIComponent(id)}`);
  }

  updateProvider(id: string, patch: unknown): Promise<Provider> {
    return this.call('PATCH', `/v1/providers/${encodeURIComponent(id)}`, patch);
  }

  rotateKey(id: string, body: unknown): Promise<Provider> {
    return this.call('POST', `/v1/providers/${encodeURIComponent(id)}/keys`, body);
  }

  async listProviders(): Promise<Provider[]> {
    return (await this.call<{ providers: Provider[] }>('GET', '/v1/providers')).providers;
  }

  /** A report over the cases of one kind (the hub's default: tracebacks). */
  async report<T = unknown>(name: ReportName, campaign?: string, kind?: CaseKind): Promise<T> {
    const q = new URLSearchParams({ ...(campaign && { campaign }), ...(kind && { kind }) });
    return (await this.call<{ rows: T }>('GET', `/v1/reports/${name}${q.size ? `?${q}` : ''}`)).rows;
  }

  async pendingManual(): Promise<PendingManual[]> {
    return (await this.call<{ pending: PendingManual[] }>('GET', '/v1/manual')).pending;
  }

  /** Subscribers, deliveries and trace forward (hub/notify/client.ts). */
  notify(): NotifyClient {
    return new NotifyClient(this.url, this.token, this.http);
  }

  /** The DNO master list's part of the API. */
  dno(): DnoClient {
    return new DnoClient(this.url, this.token, this.http);
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

  private async call<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const res = await request(`${this.url.replace(/\/$/, '')}${path}`, {
        dispatcher: this.http,
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const json = (await res.body.json().catch(() => ({}))) as T & { error?: string; path?: string };
      // Over the token's rate limit (hub/api/rate-limit.ts) nothing was done: wait as the hub asks and send again.
      if (res.statusCode === 429 && attempt < MAX_RATE_LIMITED_TRIES) {
        await new Promise((r) => setTimeout(r, Math.min(Number(res.headers['retry-after']) || 1, 30) * 1000));
        continue;
      }
      if (res.statusCode >= 300) throw new HubApiError(res.statusCode, json);
      return json;
    }
  }
}

/** A small client of the hub API for the CLI and scripts (bearer token). */
import { Agent, request } from 'undici';
import type { CampaignGraph } from './campaign.js';
import type { Case } from './case.js';
import { DnoClient } from './dno/client.js';
import type { EvidenceBundle } from './evidence.js';
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

  async report<T = unknown>(name: ReportName, campaign?: string): Promise<T> {
    const q = campaign ? `?campaign=${encodeURIComponent(campaign)}` : '';
    return (await this.call<{ rows: T }>('GET', `/v1/reports/${name}${q}`)).rows;
  }

  async pendingManual(): Promise<PendingManual[]> {
    return (await this.call<{ pending: PendingManual[] }>('GET', '/v1/manual')).pending;
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
    const res = await request(`${this.url.replace(/\/$/, '')}${path}`, {
      dispatcher: this.http,
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const json = (await res.body.json().catch(() => ({}))) as T & { error?: string; path?: string };
    if (res.statusCode >= 300) throw new HubApiError(res.statusCode, json);
    return json;
  }
}

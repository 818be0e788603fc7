/**
 * The DNO part of the hub API client (bearer token): hub/client.ts hands it out as `HubClient.dno()`. (The two
 * import each other; HubApiError is only used inside functions here, so either may load first.)
 */
import type { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import type { LineProblem } from '../../agent/dno/file-error.js';
import type { DnoCategory, DnoEntry } from '../../proto/messages.js';
import { HubApiError } from '../client.js';
import type { DnoChangeRow } from './master.js';
import type { DnoEntryView, DnoExportFormat, DnoImportOptions } from './service.js';
import type { DnoSummary } from './store.js';

export interface DnoChangeReply {
  version: number;
  row: DnoChangeRow;
  /** Bad lines left out (applyGood). */
  skipped: LineProblem[];
}

/** The hub refused a change: `problems` names every bad line. Nothing changed. */
export class DnoRefusedError extends Error {
  override readonly name = 'DnoRefusedError';
  constructor(
    reason: string,
    readonly problems: LineProblem[],
  ) {
    super(reason);
  }
}

export class DnoClient {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
    private readonly dispatcher?: Dispatcher,
  ) {
    this.base = url.replace(/\/$/, '');
  }

  summary(): Promise<DnoSummary> {
    return this.json('GET', '/v1/dno');
  }

  async find(target: string): Promise<DnoEntryView[]> {
    return (await this.json<{ entries: DnoEntryView[] }>('GET', `/v1/dno/entries?${query({ target })}`)).entries;
  }

  async list(opts: { category?: DnoCategory; limit?: number } = {}): Promise<DnoEntryView[]> {
    return (await this.json<{ entries: DnoEntryView[] }>('GET', `/v1/dno/entries?${query(opts)}`)).entries;
  }

  add(entries: DnoEntry[], why?: string): Promise<DnoChangeReply> {
    return this.json('POST', '/v1/dno/entries', JSON.stringify({ entries, ...(why && { why }) }));
  }

  remove(targets: string[], opts: { why?: string; applyGood?: boolean } = {}): Promise<DnoChangeReply> {
    return this.json('POST', '/v1/dno/removals', JSON.stringify({ targets, ...opts }));
  }

  /** `text` may come as a stream (the CLI counts what it has sent); either way the hub applies it whole. */
  import(text: string | Readable, opts: DnoImportOptions = {}): Promise<DnoChangeReply> {
    return this.json('POST', `/v1/dno/imports?${query(opts)}`, text, 'text/csv; charset=utf-8');
  }

  async history(opts: { before?: number; limit?: number } = {}): Promise<DnoChangeRow[]> {
    return (await this.json<{ rows: DnoChangeRow[] }>('GET', `/v1/dno/history?${query(opts)}`)).rows;
  }

  /** The list in an import format, as the hub streams it. */
  async *export(opts: { format?: DnoExportFormat; category?: DnoCategory } = {}): AsyncIterable<string> {
    const res = await request(`${this.base}/v1/dno/export?${query(opts)}`, {
      headers: { authorization: `Bearer ${this.token}` },
      ...(this.dispatcher && { dispatcher: this.dispatcher }),
    });
    if (res.statusCode >= 300) throw new HubApiError(res.statusCode, (await res.body.json().catch(() => ({}))) as { error?: string });
    res.body.setEncoding('utf8');
    for await (const chunk of res.body) yield chunk as string;
  }

  private async json<T>(method: 'GET' | 'POST', path: string, body?: string | Readable, contentType = 'application/json'): Promise<T> {
    const res = await request(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': contentType }) },
      ...(body !== undefined && { body }),
      ...(this.dispatcher && { dispatcher: this.dispatcher }),
    });
    const json = (await res.body.json().catch(() => ({}))) as T & { error?: string; problems?: LineProblem[] };
    if (res.statusCode === 422 && Array.isArray(json.problems)) throw new DnoRefusedError(json.error ?? 'refused', json.problems);
    if (res.statusCode >= 300) throw new HubApiError(res.statusCode, json);
    return json;
  }
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  return q.toString();
}

/** The subscribers', deliveries' and trace forward part of the hub API, for the CLI and scripts (bearer token). */
import { type Dispatcher, request } from 'undici';
import type { Case } from '../case.js';
import { HubApiError } from '../client.js';
import type { NumberBlock } from '../forward/holders.js';
import type { Delivery, DeliveryState } from './delivery.js';
import type { Subscriber } from './subscriber.js';

export type DeliveryView = Omit<Delivery, 'body'>;

export class NotifyClient {
  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly dispatcher?: Dispatcher,
  ) {}

  addSubscriber(body: unknown): Promise<Subscriber> {
    return this.call('POST', '/v1/subscribers', body);
  }

  async listSubscribers(): Promise<Subscriber[]> {
    return (await this.call<{ subscribers: Subscriber[] }>('GET', '/v1/subscribers')).subscribers;
  }

  async removeSubscriber(id: string): Promise<void> {
    await this.call('DELETE', `/v1/subscribers/${encodeURIComponent(id)}`);
  }

  async deliveries(f: { state?: DeliveryState; subscriber?: string; case?: string; limit?: number } = {}): Promise<DeliveryView[]> {
    const q = new URLSearchParams(Object.entries(f).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])));
    return (await this.call<{ deliveries: DeliveryView[] }>('GET', `/v1/deliveries${q.size ? `?${q}` : ''}`)).deliveries;
  }

  delivery(id: string): Promise<DeliveryView & { notification: unknown }> {
    return this.call('GET', `/v1/deliveries/${encodeURIComponent(id)}`);
  }

  redeliver(id: string): Promise<DeliveryView> {
    return this.call('POST', `/v1/deliveries/${encodeURIComponent(id)}/redeliver`, {});
  }

  async dropDeadLetter(id: string): Promise<void> {
    await this.call('DELETE', `/v1/deliveries/${encodeURIComponent(id)}`);
  }

  startForward(body: unknown): Promise<Case> {
    return this.call('POST', '/v1/forwards', body);
  }

  addNumberBlock(b: NumberBlock): Promise<NumberBlock> {
    return this.call('POST', '/v1/number-blocks', b);
  }

  async numberBlocks(): Promise<NumberBlock[]> {
    return (await this.call<{ blocks: NumberBlock[] }>('GET', '/v1/number-blocks')).blocks;
  }

  async removeNumberBlock(prefix: string): Promise<void> {
    await this.call('DELETE', `/v1/number-blocks/${encodeURIComponent(prefix)}`);
  }

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await request(`${this.url.replace(/\/$/, '')}${path}`, {
      ...(this.dispatcher && { dispatcher: this.dispatcher }),
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const json = (await res.body.json().catch(() => ({}))) as T & { error?: string; path?: string };
    if (res.statusCode >= 300) throw new HubApiError(res.statusCode, json);
    return json;
  }
}

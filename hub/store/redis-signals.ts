/**
 * Enqueue notifications across hub instances over Redis pub/sub: one subscriber connection per store, opened
 * on the first listener; a provider's channel is subscribed while it has listeners.
 * A notification is a hint to `take`. Publishing is fire-and-forget, so a listener is also called once when
 * its subscription becomes active (and again after the subscriber reconnects): whatever was enqueued before
 * that, or while disconnected, is then taken instead of waiting for the next enqueue.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { HubKeys } from './redis-keys.js';

export class EnqueueSignals {
  private readonly listeners = new EventEmitter().setMaxListeners(0);
  /** Providers whose channel the server has confirmed on the current connection. */
  private readonly active = new Set<string>();
  private subscriber: Redis | undefined;
  private closed = false;

  constructor(
    private readonly keys: HubKeys,
    private readonly openSubscriber: () => Redis,
  ) {}

  listen(provider: string, listener: () => void): () => void {
    if (this.closed) return () => undefined;
    let listening = true;
    // A wrapper per call: the same function registered twice is two listeners, each unsubscribed once.
    const wrapper = () => listening && listener();
    const first = this.listeners.listenerCount(provider) === 0;
    this.listeners.on(provider, wrapper);
    if (first) this.subscribe([provider]);
    else if (this.active.has(provider)) queueMicrotask(wrapper);
    return () => {
      if (!listening) return;
      listening = false;
      this.listeners.off(provider, wrapper);
      if (this.listeners.listenerCount(provider) === 0) this.unsubscribe(provider);
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.removeAllListeners();
    this.active.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  /** Subscribes now if connected; otherwise the (re)connection subscribes every provider with listeners. */
  private subscribe(providers: readonly string[]): void {
    const sub = this.connection();
    if (sub.status !== 'ready' || providers.length === 0) return;
    sub.subscribe(...providers.map((p) => this.keys.queueChannel(p))).then(
      () => {
        for (const p of providers) {
          if (this.listeners.listenerCount(p) === 0) continue;
          this.active.add(p);
          this.listeners.emit(p);
        }
      },
      // Lost with the connection: the reconnection subscribes again.
      () => undefined,
    );
  }

  private unsubscribe(provider: string): void {
    this.active.delete(provider);
    const sub = this.subscriber;
    if (sub?.status === 'ready') sub.unsubscribe(this.keys.queueChannel(provider)).catch(() => undefined);
  }

  private connection(): Redis {
    if (this.subscriber) return this.subscriber;
    const sub = this.openSubscriber();
    sub.on('message', (channel: string) => {
      const provider = this.keys.providerOfChannel(channel);
      if (provider !== undefined) this.listeners.emit(provider);
    });
    sub.on('ready', () => this.subscribe(this.listeners.eventNames().map(String)));
    sub.on('close', () => this.active.clear());
    this.subscriber = sub;
    return sub;
  }
}

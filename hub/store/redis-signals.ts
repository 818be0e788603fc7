/**
 * Enqueue notifications across hub instances over Redis pub/sub: one subscriber connection per store, opened
 * on the first listener; a provider's channel is subscribed while it has listeners, and for `LINGER_MS` after
 * its last one left: an agent long-polls again the moment a poll returns, and a subscribe and unsubscribe per
 * poll would cost more than the poll.
 * A notification is a hint to `take`. Publishing is fire-and-forget, so a listener is also called once when
 * its subscription becomes active, or at once when it already is (and again after the subscriber reconnects):
 * whatever was enqueued before that, or while disconnected, is then taken instead of waiting for the next enqueue.
 * On a Redis Cluster a PUBLISH reaches every node, so the subscriber may sit on any of them. When its node fails,
 * the cluster client moves the subscriptions to another node on its own, without a 'ready': an enqueue in
 * between is then heard only by the next long poll (the agent's next poll takes it), not lost.
 */
import { EventEmitter } from 'node:events';
import type { RedisClient } from '../../config/redis-connection.js';
import type { HubKeys } from './redis-keys.js';

/** How long a channel stays subscribed after its last listener left. */
export const LINGER_MS = 60_000;

export class EnqueueSignals {
  private readonly listeners = new EventEmitter().setMaxListeners(0);
  /** Providers whose channel this store wants subscribed on the current connection. */
  private readonly wanted = new Set<string>();
  /** Providers whose channel the server has confirmed on the current connection. */
  private readonly active = new Set<string>();
  /** Providers without listeners whose channel is still subscribed, with the timer that unsubscribes it. */
  private readonly lingering = new Map<string, NodeJS.Timeout>();
  private subscriber: RedisClient | undefined;
  private closed = false;

  constructor(
    private readonly keys: HubKeys,
    private readonly openSubscriber: () => RedisClient,
  ) {}

  listen(provider: string, listener: () => void): () => void {
    if (this.closed) return () => undefined;
    let listening = true;
    // A wrapper per call: the same function registered twice is two listeners, each unsubscribed once.
    const wrapper = () => listening && listener();
    this.listeners.on(provider, wrapper);
    const linger = this.lingering.get(provider);
    if (linger) {
      clearTimeout(linger);
      this.lingering.delete(provider);
    }
    if (!this.wanted.has(provider)) this.subscribe([provider]);
    else if (this.active.has(provider)) queueMicrotask(wrapper);
    return () => {
      if (!listening) return;
      listening = false;
      this.listeners.off(provider, wrapper);
      if (this.listeners.listenerCount(provider) === 0) this.release(provider);
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.removeAllListeners();
    this.forget();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  /** Subscribes now if connected; otherwise the (re)connection subscribes every provider with listeners. */
  private subscribe(providers: readonly string[]): void {
    for (const p of providers) this.wanted.add(p);
    const sub = this.connection();
    if (sub.status !== 'ready' || providers.length === 0) return;
    sub.subscribe(...providers.map((p) => this.keys.queueChannel(p))).then(
      () => {
        for (const p of providers) {
          // Unsubscribed (or the connection lost) while subscribing: not active.
          if (!this.wanted.has(p)) continue;
          this.active.add(p);
          this.listeners.emit(p);
        }
      },
      // Lost with the connection: the reconnection subscribes again.
      () => undefined,
    );
  }

  private release(provider: string): void {
    const timer = setTimeout(() => {
      this.lingering.delete(provider);
      this.unsubscribe(provider);
    }, LINGER_MS);
    timer.unref();
    this.lingering.set(provider, timer);
  }

  private unsubscribe(provider: string): void {
    this.wanted.delete(provider);
    this.active.delete(provider);
    const sub = this.subscriber;
    if (sub?.status === 'ready') sub.unsubscribe(this.keys.queueChannel(provider)).catch(() => undefined);
  }

  /** The connection's subscriptions are gone: only providers with listeners are subscribed again. */
  private forget(): void {
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
    this.wanted.clear();
    this.active.clear();
  }

  private connection(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const sub = this.openSubscriber();
    sub.on('message', (channel: string) => {
      const provider = this.keys.providerOfChannel(channel);
      if (provider !== undefined) this.listeners.emit(provider);
    });
    sub.on('ready', () => this.subscribe(this.listeners.eventNames().map(String)));
    sub.on('close', () => this.forget());
    this.subscriber = sub;
    return sub;
  }
}

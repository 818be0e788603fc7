/**
 * A Redis connection that fails fast (DESIGN §8: when Redis is down, hop queries are answered `unavailable`,
 * never hang): no offline queue, no retried commands. A refused or reset connection fails operations at once;
 * an operation waits at most `timeoutMs` for a (re)connection; reads (lookups, ping) are answered within
 * `timeoutMs` in all. A connection that returns no reply for 3 × `timeoutMs` is dropped, failing the writes in
 * flight: writes get that longer bound because a busy agent can stall its own event loop for a second (a
 * large batch, a GC), and dropping a healthy connection would fail every operation on it.
 * ioredis keeps reconnecting in the background.
 *
 * With `cluster`, the URL is a seed of a Redis Cluster: a cluster client follows the slots, and pipelines commands
 * per node on its own (auto-pipelining), which is how callers send work whose keys are in many slots.
 */
import { openRedis, type RedisClient } from '../../config/redis-connection.js';
import { StoreUnavailableError } from './store.js';

export interface RedisLinkOptions {
  url: string;
  /** `url` is a seed of a Redis Cluster. */
  cluster?: boolean;
  /** Connect and reconnection wait, and read deadline, ms. Default 1000. */
  timeoutMs?: number;
  /** Called when the connection comes back: the server may have restarted and lost what was cached about it. */
  onReconnect: () => void;
}

export class RedisLink {
  private readonly redis: RedisClient;
  private readonly timeoutMs: number;
  private lastError: unknown;
  private wasReady = false;
  private closed = false;
  private readyWait: Promise<boolean> | undefined;

  constructor({ url, cluster = false, timeoutMs = 1000, onReconnect }: RedisLinkOptions) {
    this.timeoutMs = timeoutMs;
    this.redis = openRedis(
      { url, cluster },
      {
        maxRetriesPerRequest: 0,
        connectTimeout: timeoutMs,
        // One timer per socket, armed while replies are due: a per-command timeout costs a timer per APPEND.
        socketTimeout: 3 * timeoutMs,
        enableOfflineQueue: false,
        retryStrategy: (attempt) => Math.min(50 * attempt, 500),
        ...(cluster && { enableAutoPipelining: true }),
      },
    );
    this.redis.on('error', (err: unknown) => (this.lastError = err));
    this.redis.on('ready', () => {
      if (this.wasReady) onReconnect();
      this.wasReady = true;
    });
  }

  /** A read: as `run`, and a StoreUnavailableError unless answered within `timeoutMs`. */
  async ask<T>(op: string, command: (redis: RedisClient) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(op, { cause: new Error(`no answer from redis within ${this.timeoutMs} ms`) })), this.timeoutMs);
    });
    try {
      return await Promise.race([this.run(op, command), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs `command` once the connection is ready; any failure is a StoreUnavailableError for `op`. */
  async run<T>(op: string, command: (redis: RedisClient) => Promise<T>): Promise<T> {
    if (!(await this.ready())) throw new StoreUnavailableError(op, { cause: this.lastError ?? new Error(`redis is ${this.redis.status}`) });
    try {
      return await command(this.redis);
    } catch (err) {
      throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(op, { cause: err });
    }
  }

  /** False when Redis does not answer within `timeoutMs`; never rejects. */
  ping(): Promise<boolean> {
    return this.ask('ping', (redis) => redis.ping()).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private ready(): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    // One shared wait, so that a burst of operations during an outage adds one listener, not thousands.
    this.readyWait ??= new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        this.readyWait = undefined;
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), this.timeoutMs);
      this.redis.on('ready', onReady);
    });
    return this.readyWait;
  }
}

/**
 * The query jtis an agent has seen, kept in the site's Redis so that every instance of the site, and an instance
 * after a restart, refuses a replayed query within its validity (SECURITY.md "Replay and expiry"). One key per
 * jti, set with `SET NX PX`: a single-key command, so it is as safe on a Redis Cluster as on one server, and Redis
 * forgets the key when the envelope's `iat` would refuse it anyway. Without Redis the agent keeps them in memory.
 */
import type { JtiStore } from '../../proto/envelope.js';
import { RedisLink } from '../calls/redis-link.js';

export interface RedisJtiStoreOptions {
  url: string;
  /** `url` is a seed of a Redis Cluster. */
  cluster?: boolean;
  /** The agent's provider id: sites that share a Redis keep apart the jtis addressed to each. */
  provider: string;
  /** The clock the remaining validity is measured with (default Date.now). */
  now?: () => number;
}

export class RedisJtiStore implements JtiStore {
  private readonly link: RedisLink;
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(o: RedisJtiStoreOptions) {
    // Nothing is cached about the server, so a reconnection has nothing to redo.
    this.link = new RedisLink({ url: o.url, ...(o.cluster && { cluster: o.cluster }), onReconnect: () => {} });
    this.prefix = `ht:jti:${o.provider}:`;
    this.now = o.now ?? Date.now;
  }

  /** True the first time `jti` is seen; a StoreUnavailableError when Redis cannot say (the query is then refused). */
  async remember(jti: string, expiresAtMs: number): Promise<boolean> {
    const remainingMs = Math.max(1, Math.ceil(expiresAtMs - this.now()));
    return (await this.link.run('remember jti', (r) => r.set(`${this.prefix}${jti}`, '1', 'PX', remainingMs, 'NX'))) === 'OK';
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

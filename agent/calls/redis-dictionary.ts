/**
 * The term dictionary in Redis, shared by every agent instance on the same Redis. Per kind: a hash term → id,
 * a hash id → term, and an id counter, all under the `{dict}` hash tag (one Redis Cluster slot).
 * Lock-free: allocate ids, publish id → term, then claim term → id with HSETNX; when a concurrent agent
 * claimed a term first, its id wins and ours is simply never used.
 */
import type { TermKind } from './codec.js';
import type { TermStore } from './dictionary.js';
import { execAll } from './redis-exec.js';
import type { RedisLink } from './redis-link.js';

export class RedisTermStore implements TermStore {
  constructor(
    private readonly link: RedisLink,
    private readonly keyPrefix: string,
  ) {}

  intern(kind: TermKind, terms: readonly string[]): Promise<number[]> {
    return this.link.run('add', async (redis) => {
      const idsKey = this.key(kind, 'ids');
      const ids = await redis.hmget(idsKey, ...terms);
      const missing = terms.filter((_, i) => ids[i] === null);
      if (missing.length > 0) {
        const last = await redis.incrby(this.key(kind, 'seq'), missing.length);
        const pipeline = redis.pipeline();
        pipeline.hset(this.key(kind, 'terms'), ...missing.flatMap((term, i) => [last - missing.length + 1 + i, term]));
        missing.forEach((term, i) => pipeline.hsetnx(idsKey, term, last - missing.length + 1 + i));
        pipeline.hmget(idsKey, ...missing);
        const winners = (await execAll(pipeline)).at(-1) as (string | null)[];
        let next = 0;
        ids.forEach((id, i) => {
          if (id === null) ids[i] = winners[next++] ?? null;
        });
      }
      return ids.map(Number);
    });
  }

  resolve(kind: TermKind, ids: readonly number[]): Promise<(string | null)[]> {
    return this.link.ask('lookup', (redis) => redis.hmget(this.key(kind, 'terms'), ...ids.map(String)));
  }

  private key(kind: TermKind, part: 'ids' | 'terms' | 'seq'): string {
    return `${this.keyPrefix}{dict}:${kind}:${part}`;
  }
}

/**
 * Who holds a telephone number: number blocks (E.164 prefixes: an NPA-NXX, a thousands block, one number)
 * registered to providers, the longest prefix winning — a thousands block pooled to another provider overrides
 * its NPA-NXX. A trace forward asks the holder who the call-back number is assigned to (hub/forward/forward.ts).
 * Redis (a hash, looked up with one HMGET of the number's prefixes) or memory. Every operation names that one
 * key, so on a Redis Cluster (`cluster`) it needs no hash tag: the blocks live in the key's slot.
 */
import { z } from 'zod';
import { closeRedis, openRedis, type RedisClient, type RedisTarget } from '../../config/redis-connection.js';
import { StoreUnavailableError } from '../../agent/calls/store.js';
import { ProviderId } from '../../proto/messages.js';
import { DEFAULT_KEY_PREFIX } from '../store/redis-keys.js';

export const NumberBlock = z.object({
  prefix: z.string().regex(/^\+[1-9][0-9]{0,14}$/, 'must be + and 1–15 digits, e.g. +1312555'),
  provider: ProviderId,
});
export type NumberBlock = z.infer<typeof NumberBlock>;

export interface HolderStore {
  put(b: NumberBlock): Promise<void>;
  /** False when no block had this prefix. */
  remove(prefix: string): Promise<boolean>;
  list(): Promise<NumberBlock[]>;
  /** The block with the longest prefix of `number`, if any. */
  holderOf(number: string): Promise<NumberBlock | undefined>;
  close(): Promise<void>;
}

/** `+13125550117` → `+13125550117`, `+1312555011`, … `+1`: longest first. */
export function prefixesOf(number: string): string[] {
  const out: string[] = [];
  for (let n = number.length; n >= 2; n--) out.push(number.slice(0, n));
  return out;
}

export function openHolders(redis?: RedisTarget, keyPrefix = DEFAULT_KEY_PREFIX): HolderStore {
  return redis ? new RedisHolderStore(redis, keyPrefix) : new MemoryHolderStore();
}

export class MemoryHolderStore implements HolderStore {
  private readonly blocks = new Map<string, string>();

  async put(b: NumberBlock): Promise<void> {
    this.blocks.set(b.prefix, b.provider);
  }

  async remove(prefix: string): Promise<boolean> {
    return this.blocks.delete(prefix);
  }

  async list(): Promise<NumberBlock[]> {
    return [...this.blocks].map(([prefix, provider]) => ({ prefix, provider })).sort((a, b) => (a.prefix < b.prefix ? -1 : 1));
  }

  async holderOf(number: string): Promise<NumberBlock | undefined> {
    const prefix = prefixesOf(number).find((p) => this.blocks.has(p));
    return prefix === undefined ? undefined : { prefix, provider: this.blocks.get(prefix)! };
  }

  async close(): Promise<void> {}
}

export class RedisHolderStore implements HolderStore {
  private readonly redis: RedisClient;
  private readonly key: string;

  constructor(target: RedisTarget, keyPrefix: string) {
    this.key = `${keyPrefix}number-blocks`;
    this.redis = openRedis(target, { commandTimeout: 1500, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
  }

  async put(b: NumberBlock): Promise<void> {
    await this.run('put', (r) => r.hset(this.key, b.prefix, b.provider));
  }

  async remove(prefix: string): Promise<boolean> {
    return (await this.run('remove', (r) => r.hdel(this.key, prefix))) === 1;
  }

  async list(): Promise<NumberBlock[]> {
    const all = await this.run('list', (r) => r.hgetall(this.key));
    return Object.entries(all).map(([prefix, provider]) => ({ prefix, provider })).sort((a, b) => (a.prefix < b.prefix ? -1 : 1));
  }

  async holderOf(number: string): Promise<NumberBlock | undefined> {
    const prefixes = prefixesOf(number);
    const found = await this.run('holderOf', (r) => r.hmget(this.key, ...prefixes));
    const i = found.findIndex((p) => p !== null);
    return i < 0 ? undefined : { prefix: prefixes[i]!, provider: found[i]! };
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }

  private async run<T>(op: string, work: (r: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await work(this.redis);
    } catch (err) {
      throw new StoreUnavailableError(`number blocks ${op}`, { cause: err });
    }
  }
}

/**
 * CDR checkpoints in Redis: one HASH per source, field `<dev>:<ino>`, value the checkpoint's JSON, under the
 * agent's hash tag (`ht:{agent:<provider>}:cdr:<source>`), so that every checkpoint of one agent lives in one
 * Redis Cluster slot. The connection fails fast like the call index's (RedisLink): when Redis is down the tailer
 * gets StoreUnavailableError and retries.
 */
import { RedisLink } from '../calls/redis-link.js';
import { FileCheckpoint, type CheckpointStore } from './checkpoints.js';

export interface RedisCheckpointStoreOptions {
  url: string;
  agent: string;
  /** `url` is a seed of a Redis Cluster (every key of an agent has its hash tag). */
  cluster?: boolean;
  timeoutMs?: number;
}

export function createRedisCheckpointStore({ url, agent, cluster, timeoutMs }: RedisCheckpointStoreOptions): CheckpointStore {
  // Checkpoints cache nothing about the server: a reconnect needs no reset.
  const link = new RedisLink({ url, onReconnect: () => {}, ...(cluster && { cluster }), ...(timeoutMs !== undefined && { timeoutMs }) });
  const keyOf = (source: string) => `ht:{agent:${agent}}:cdr:${source}`;
  return {
    load: (source) =>
      link.run('cdr checkpoint load', async (redis) => {
        const fields = await redis.hgetall(keyOf(source));
        // A value this version cannot read is left out: its file is read again, and lookups drop the repeats.
        return Object.values(fields).flatMap((json) => {
          const parsed = FileCheckpoint.safeParse(safeJson(json));
          return parsed.success ? [parsed.data] : [];
        });
      }),
    save: (source, checkpoints) =>
      link.run('cdr checkpoint save', async (redis) => {
        if (checkpoints.length === 0) return;
        await redis.hset(keyOf(source), ...checkpoints.flatMap((c) => [c.key, JSON.stringify(c)]));
      }),
    forget: (source, keys) =>
      link.run('cdr checkpoint forget', async (redis) => {
        if (keys.length > 0) await redis.hdel(keyOf(source), ...keys);
      }),
    close: () => link.close(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

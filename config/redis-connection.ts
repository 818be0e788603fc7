/**
 * Opens a connection to the deployment's Redis (`redis.url`, `redis.cluster`), for the agent and the hub alike:
 * to a single server, or, with `cluster`, to a Redis Cluster whose seed is the URL (the client learns the other
 * nodes from it and follows MOVED/ASK). The stores' key layouts keep every script's and transaction's keys
 * under one hash tag, so they run unchanged on either.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A connection to one Redis, or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  /** redis:// or rediss:// */
  url: string;
  /** `url` is a seed of a Redis Cluster. */
  cluster?: boolean | undefined;
}

/** How a connection behaves; on a cluster each node's connection gets the per-node options. */
export type ConnectionOptions = Omit<RedisOptions, 'host' | 'port' | 'path' | 'sentinels' | 'readOnly'>;

export function openRedis({ url, cluster = false }: RedisTarget, options: ConnectionOptions): RedisClient {
  if (!cluster) return new Redis(url, options);
  const { enableOfflineQueue, enableAutoPipelining, retryStrategy, ...perNode } = options;
  return new Cluster([url], {
    ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
    ...(enableAutoPipelining !== undefined && { enableAutoPipelining }),
    ...(retryStrategy && { clusterRetryStrategy: retryStrategy }),
    // The seed's credentials and TLS are every node's: the nodes the seed names come without them.
    redisOptions: { ...perNode, ...credentialsOf(url), ...(url.startsWith('rediss://') && { tls: {} }) },
  });
}

function credentialsOf(url: string): { username?: string; password?: string } {
  const { username, password } = new URL(url);
  return { ...(username && { username: decodeURIComponent(username) }), ...(password && { password: decodeURIComponent(password) }) };
}

/**
 * Ends the WATCH on `key`. UNWATCH names no key, so a cluster client would send it to any node rather than the
 * one whose connection holds the WATCH; an EXEC on the watched key's slot ends every WATCH of that connection.
 */
export async function unwatch(redis: RedisClient, key: string): Promise<void> {
  if (redis instanceof Cluster) await redis.multi().exists(key).exec();
  else await redis.unwatch();
}

/** Closes a client: QUIT when Redis answers, else drops the connection (a QUIT to a dead server would wait). */
export async function closeRedis(redis: RedisClient): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

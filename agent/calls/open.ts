/**
 * Opens the call index a site is configured for: Redis when a URL is given (production, shared by agent
 * instances), else the embedded memory index, which keeps nothing across restarts (DESIGN §4).
 */
import type { LayoutOptions } from './layout.js';
import { createMemoryCallIndex } from './memory-index.js';
import { createRedisCallIndex } from './redis-index.js';
import type { SizedCallIndex } from './store.js';

export interface OpenCallIndexOptions extends LayoutOptions {
  redisUrl?: string | undefined;
  /** `redisUrl` is a seed of a Redis Cluster. */
  cluster?: boolean | undefined;
  keyPrefix?: string;
}

export function openCallIndex({ redisUrl, cluster, ...options }: OpenCallIndexOptions): SizedCallIndex {
  return redisUrl ? createRedisCallIndex({ url: redisUrl, ...options, ...(cluster && { cluster }) }) : createMemoryCallIndex(options);
}

/**
 * Opens the call index a site is configured for: Redis when a URL is given (production, shared by agent
 * instances), else the embedded memory index, which keeps nothing across restarts (DESIGN §4).
 */
import type { LayoutOptions } from './layout.js';
import { createMemoryCallIndex } from './memory-index.js';
import { createRedisCallIndex } from './redis-index.js';
import type { CallIndex } from './store.js';

export interface OpenCallIndexOptions extends LayoutOptions {
  redisUrl?: string | undefined;
  keyPrefix?: string;
}

export function openCallIndex({ redisUrl, ...options }: OpenCallIndexOptions): CallIndex {
  return redisUrl ? createRedisCallIndex({ url: redisUrl, ...options }) : createMemoryCallIndex(options);
}

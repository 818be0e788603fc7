/** Picks the hub store: Redis when a URL is configured, else the embedded store (which keeps nothing across restarts). */
import { MemoryHubStore } from './memory-store.js';
import { RedisHubStore } from './redis-store.js';
import type { HubStore } from './store.js';

export interface OpenHubStoreOptions {
  /** redis:// or rediss://; without it the embedded memory store is used. */
  redisUrl?: string | undefined;
  /** `redisUrl` is a seed of a Redis Cluster. */
  cluster?: boolean | undefined;
  /** Redis keys start with this (default `ht:hub:`). */
  keyPrefix?: string;
}

export function openHubStore(opts: OpenHubStoreOptions = {}): HubStore {
  if (opts.redisUrl === undefined || opts.redisUrl === '') return new MemoryHubStore();
  return new RedisHubStore({ url: opts.redisUrl, cluster: opts.cluster, keyPrefix: opts.keyPrefix });
}

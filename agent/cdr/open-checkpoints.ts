/** The checkpoint store a site is configured for: Redis when a URL is given, else memory (nothing survives a restart). */
import { MemoryCheckpointStore, type CheckpointStore } from './checkpoints.js';
import { createRedisCheckpointStore } from './redis-checkpoints.js';

export interface OpenCheckpointStoreOptions {
  redisUrl?: string | undefined;
  /** The agent's provider id: the hash tag of its keys. */
  agent: string;
  /** `redisUrl` is a seed of a Redis Cluster. */
  cluster?: boolean;
}

export function openCheckpointStore({ redisUrl, agent, cluster }: OpenCheckpointStoreOptions): CheckpointStore {
  return redisUrl ? createRedisCheckpointStore({ url: redisUrl, agent, ...(cluster && { cluster }) }) : new MemoryCheckpointStore();
}

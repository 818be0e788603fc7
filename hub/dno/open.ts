/** Opens the hub's DNO master list: its store (Redis when configured, else embedded), the ops service, the agents' feed. */
import type { JtiStore, KeyResolver } from '../../proto/envelope.js';
import type { KeyPair } from '../../proto/keys.js';
import { DnoFeed } from './feed.js';
import { MemoryDnoListStore } from './memory-store.js';
import { RedisDnoListStore } from './redis-store.js';
import { DnoService } from './service.js';

export interface HubDno {
  service: DnoService;
  feed: DnoFeed;
  close(): Promise<void>;
}

export interface OpenHubDnoOptions {
  redisUrl?: string;
  /** `redisUrl` is a seed of a Redis Cluster. */
  cluster?: boolean | undefined;
  keyPrefix?: string;
  hubId: string;
  key: KeyPair;
  /** The keys registered for a provider's agents (the hub's Registry). */
  keys: KeyResolver;
  jti: JtiStore;
  emergency?: readonly string[];
  now?: () => number;
}

export function openHubDno(o: OpenHubDnoOptions): HubDno {
  const store = o.redisUrl ? new RedisDnoListStore({ url: o.redisUrl, cluster: o.cluster, ...(o.keyPrefix && { keyPrefix: o.keyPrefix }) }) : new MemoryDnoListStore();
  const service = new DnoService({ store, ...(o.emergency && { emergency: o.emergency }), ...(o.now && { now: o.now }) });
  const feed = new DnoFeed({ store, payloads: service.payloads, hubId: o.hubId, key: o.key, keys: o.keys, jti: o.jti, ...(o.now && { now: o.now }) });
  return { service, feed, close: () => store.close() };
}

/**
 * The agent's DNO part as its configuration asks for it: the site's cache (Redis, shared by the site's
 * instances, or embedded), the live snapshot decisions use — the hub's list, the local list file
 * (`dno.file`) and the CO table (`dno.coFile`) — the sync from the hub when one is configured, and metrics.
 *
 * The local list file is the carrier's own list (its spare and inbound-only numbers): it never leaves the site
 * and `hoptrace-agent dno add|remove|import|list` edits it. A running agent notices a change of the file within
 * about a second and rebuilds its snapshot; a file with bad lines is refused (logged with every bad line) and
 * the last good one stays in force.
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AgentConfig } from '../../config/agent.js';
import type { KeyPair } from '../../proto/keys.js';
import { publicKeyFromRaw } from '../../proto/keys.js';
import { readCoList } from './colist.js';
import { DnoFileError } from './file-error.js';
import { readListPart } from './listfile.js';
import { LiveDno } from './live.js';
import { MemoryDnoCache } from './memory-cache.js';
import { dnoMetrics } from './metrics.js';
import { RedisDnoCache } from './redis-cache.js';
import type { DnoCache } from './store.js';
import { DnoSync } from './sync.js';

export interface RunningDno {
  live: LiveDno;
  cache: DnoCache;
  /** Null when no hub is configured. */
  sync: DnoSync | null;
  stop(): Promise<void>;
}

/** How often the local list file's modification time is checked, ms. */
const LOCAL_POLL_MS = 1000;

export async function startDno(
  cfg: Pick<AgentConfig, 'provider' | 'hub' | 'redis' | 'dno'>,
  parts: { key?: KeyPair; metrics: Registry; log: Logger },
): Promise<RunningDno> {
  const { log } = parts;
  const cache: DnoCache = cfg.redis ? new RedisDnoCache({ url: cfg.redis.url, cluster: cfg.redis.cluster, site: cfg.provider }) : new MemoryDnoCache();
  const file = cfg.dno.file;
  const live = new LiveDno({
    cache,
    log,
    ...(file && { local: await readListPart(file) }),
    ...(cfg.dno.coFile && { co: await readCoList(cfg.dno.coFile) }),
  });
  await live.start();

  let sync: DnoSync | null = null;
  const metrics = dnoMetrics(parts.metrics, { snapshot: () => live.snapshot, leader: () => sync?.leader ?? false });
  if (cfg.hub.url && parts.key) {
    sync = new DnoSync({
      cache,
      hubUrl: cfg.hub.url,
      hubId: cfg.hub.id,
      hubKeys: cfg.hub.publicKeys.map(publicKeyFromRaw),
      provider: cfg.provider,
      key: parts.key,
      waitSec: cfg.hub.pollWaitSec,
      log,
      onSynced: (s) => metrics.synced(s),
    });
    sync.start();
  }

  if (file) {
    watchFile(file, { interval: LOCAL_POLL_MS }, (now, before) => {
      if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
      readListPart(file).then(
        (part) => {
          live.setLocal(part);
          log.info({ file, numbers: part.numbers, intervals: part.intervals }, 'local DNO list reloaded');
        },
        (err: unknown) => {
          const errors = err instanceof DnoFileError ? err.errors : undefined;
          log.warn({ file, err: String(err), errors }, 'local DNO list refused: keeping the last good one');
        },
      );
    });
  }

  return {
    live,
    cache,
    sync,
    async stop() {
      if (file) unwatchFile(file);
      await sync?.stop();
      live.stop();
      await cache.close();
    },
  };
}

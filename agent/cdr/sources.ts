/**
 * The agent's CDR sources: one tailer per configured directory, sharing the call index and one checkpoint
 * store (Redis when the site has one). A source that cannot be read as configured fails the start with the
 * path of the bad setting (`cdr[1].options.columns`), like any other configuration error.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError } from '../../config/errors.js';
import type { CallIndex } from '../calls/store.js';
import { openCheckpointStore } from './open-checkpoints.js';
import { CdrSourceError, startCdrTailer, type CdrSourceSettings, type CdrTailer, type TailerTuning } from './tailer.js';

export interface CdrSourcesOptions {
  sources: readonly CdrSourceSettings[];
  redisUrl: string | undefined;
  /** `redisUrl` is a seed of a Redis Cluster. */
  cluster?: boolean;
  /** The provider id: the hash tag of the checkpoint keys. */
  agent: string;
  index: CallIndex;
  metrics: Registry;
  log: Logger;
  tuning?: Partial<TailerTuning>;
}

export interface CdrSources {
  /** Every tailer has its checkpoints and can read its directory. */
  ready(): boolean;
  stop(): Promise<void>;
}

export function startCdrSources(o: CdrSourcesOptions): CdrSources {
  if (o.sources.length === 0) return { ready: () => true, stop: async () => {} };
  const checkpoints = openCheckpointStore({ redisUrl: o.redisUrl, agent: o.agent, ...(o.cluster && { cluster: true }) });
  const tailers: CdrTailer[] = [];
  const stop = async () => {
    await Promise.all(tailers.map((t) => t.stop()));
    await checkpoints.close();
  };
  for (const [i, source] of o.sources.entries()) {
    try {
      tailers.push(startCdrTailer({ source, index: o.index, checkpoints, log: o.log, metrics: o.metrics, ...(o.tuning && { tuning: o.tuning }) }));
    } catch (err) {
      void stop();
      throw err instanceof CdrSourceError ? ConfigError.of(`cdr[${i}].${err.path}`, err.reason) : err;
    }
  }
  return { ready: () => tailers.every((t) => t.ready()), stop };
}

/** What every router gets: the hub and its logger, typed for Hono's context. */
import type { Logger } from 'pino';
import type { TokenLookup } from '../auth.js';
import type { HubDno } from '../dno/open.js';
import type { HolderStore } from '../forward/holders.js';
import type { Notifier } from '../notify/notifier.js';
import type { Hub } from '../hub.js';
import type { TokenRecord } from '../store/store.js';
import type { RateLimits } from './rate-limit.js';

export type HubEnv = { Variables: { log: Logger; token: TokenRecord } };

export interface ApiDeps {
  hub: Hub;
  now: () => number;
  /** Where bearer tokens are looked up: the tokens file of a served hub (hub/tokens.ts), else the hub's store. */
  tokens: TokenLookup;
  /** Where people reach the hub, for the links it hands out (default: the request's origin). */
  publicUrl?: string;
  /** The DNO master list (absent: the hub serves no DNO routes). */
  dno?: HubDno;
  /** Subscribers, referrals and notices (absent: no subscriber or delivery routes). */
  notifier?: Notifier;
  /** Number blocks for trace forward (absent: no trace forward routes). */
  holders?: HolderStore;
  /** Aborts when the server starts stopping: long polls answer then, rather than hold the stop up. */
  stopping?: AbortSignal;
  /** Per-token and per-agent-key request limits (absent: unlimited, as in tests and benchmarks). */
  rateLimits?: RateLimits;
}

/** What a long poll waits on: the caller hanging up, or the server stopping. */
export function pollSignal(raw: Request, deps: ApiDeps): AbortSignal {
  return deps.stopping ? AbortSignal.any([raw.signal, deps.stopping]) : raw.signal;
}

/** What every router gets: the hub and its logger, typed for Hono's context. */
import type { Logger } from 'pino';
import type { Hub } from '../hub.js';
import type { TokenRecord } from '../store/store.js';

export type HubEnv = { Variables: { log: Logger; token: TokenRecord } };

export interface ApiDeps {
  hub: Hub;
  now: () => number;
}

/** What every router gets: the hub and its logger, typed for Hono's context. */
import type { Logger } from 'pino';
import type { HubDno } from '../dno/open.js';
import type { Hub } from '../hub.js';
import type { TokenRecord } from '../store/store.js';

export type HubEnv = { Variables: { log: Logger; token: TokenRecord } };

export interface ApiDeps {
  hub: Hub;
  now: () => number;
  /** Where people reach the hub, for the links it hands out (default: the request's origin). */
  publicUrl?: string;
  /** The DNO master list (absent: the hub serves no DNO routes). */
  dno?: HubDno;
}

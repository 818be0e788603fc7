/**
 * Several hop queries in one signed envelope (typ `hop-queries`), hub → agent: what one long poll took, signed
 * once for its provider, so a busy agent's hub signs and the agent verifies once per poll rather than once per
 * query. An agent says it reads these by polling with `{ "batch": true }` (PollBody); an agent that does not,
 * an older one, gets each query in its own `hop-query` envelope as before. Each query is still about one call.
 */
import { z } from 'zod';
import { HopQuery } from './messages.js';

export const HOP_QUERY = 'hop-query';
export const HOP_QUERIES = 'hop-queries';

/** Queries in one envelope at most: a hub sends what one poll took (hub/long-poll.ts takes 64). */
export const MAX_QUERIES_PER_ENVELOPE = 256;

export const HopQueries = z.object({ queries: z.array(HopQuery).min(1).max(MAX_QUERIES_PER_ENVELOPE) });
export type HopQueries = z.infer<typeof HopQueries>;

/** The body of an agent's signed poll (typ `poll`). */
export const PollBody = z.object({
  /** The agent reads `hop-queries` envelopes. */
  batch: z.boolean().optional(),
});
export type PollBody = z.infer<typeof PollBody>;

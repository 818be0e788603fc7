/** How long the hub keeps a hop query's link to its case: agents answer within seconds, people within days. */
export const QUERY_KEEP_MS = 30 * 24 * 3600 * 1000;

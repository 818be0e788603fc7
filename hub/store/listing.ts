/** How both stores select and order what they list. */
import type { Case } from '../case.js';
import type { HubStore } from './store.js';

export type CaseFilter = NonNullable<Parameters<HubStore['listCases']>[0]>;

export function matchesFilter(c: Case, f: CaseFilter): boolean {
  return (f.status === undefined || c.status === f.status) && (f.campaign === undefined || c.campaign === f.campaign);
}

/** Newest first; equal times by id, descending (the order of a Redis sorted set read in reverse). */
export function newestFirst(a: Case, b: Case): number {
  return b.createdAt - a.createdAt || byId(b, a);
}

export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

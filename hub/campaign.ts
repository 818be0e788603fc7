/**
 * Campaigns: many tracebacks of one robocall campaign, started together, seen together. The graph folds every
 * traced path into provider → provider edges in the direction the calls travelled (upstream → downstream),
 * with how many calls took each edge and how the tracebacks that used it ended. Pure.
 */
import { z } from 'zod';
import { TracebackInput } from '../proto/messages.js';
import type { Case, CaseStatus } from './case.js';

/** Most tracebacks one request may start (a 1 MiB body holds about this many calls). */
export const MAX_CAMPAIGN_CALLS = 10_000;

/** `POST /v1/campaigns/:name/tracebacks`: every call is checked before any traceback starts. */
export const CampaignInput = z.object({
  tracebacks: z.array(TracebackInput.omit({ campaign: true })).min(1).max(MAX_CAMPAIGN_CALLS),
});
export type CampaignInput = z.infer<typeof CampaignInput>;

export const CampaignName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,127}$/, 'letters, digits, space . _ : - (max 128)');

export interface GraphEdge {
  /** The upstream provider: it handed the calls to `to`. */
  from: string;
  to: string;
  calls: number;
  outcomes: Partial<Record<CaseStatus, number>>;
}

export interface GraphNode {
  id: string;
  /** Tracebacks whose chain passed this provider. */
  calls: number;
  /** Tracebacks that ended here, by outcome (originated here, entered the country here, silent here…). */
  ended: Partial<Record<CaseStatus, number>>;
}

export interface CampaignGraph {
  campaign: string;
  tracebacks: number;
  outcomes: Partial<Record<CaseStatus, number>>;
  providers: GraphNode[];
  edges: GraphEdge[];
}

export function campaignGraph(campaign: string, cases: Iterable<Case>): CampaignGraph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const outcomes: Partial<Record<CaseStatus, number>> = {};
  let tracebacks = 0;
  const node = (id: string) => nodes.get(id) ?? nodes.set(id, { id, calls: 0, ended: {} }).get(id)!;
  for (const c of cases) {
    tracebacks++;
    bump(outcomes, c.status);
    for (const hop of c.hops) node(hop.provider).calls++;
    const last = c.hops.at(-1);
    if (last && c.status !== 'open') bump(node(last.provider).ended, c.status);
    for (const hop of c.hops) {
      if (hop.askedBy === null) continue;
      const key = `${hop.provider}\u0000${hop.askedBy}`;
      const e = edges.get(key) ?? edges.set(key, { from: hop.provider, to: hop.askedBy, calls: 0, outcomes: {} }).get(key)!;
      e.calls++;
      bump(e.outcomes, c.status);
    }
  }
  return {
    campaign,
    tracebacks,
    outcomes,
    providers: [...nodes.values()].sort((a, b) => b.calls - a.calls || (a.id < b.id ? -1 : 1)),
    edges: [...edges.values()].sort((a, b) => b.calls - a.calls || a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
  };
}

function bump<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

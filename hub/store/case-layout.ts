/**
 * How a case is laid out in its Redis hash: `json` the case without its hops (their number in their place), and
 * one field per hop, `h:<i>`. A transition changes the case's head and its last hop only, while the answered hops
 * before it — each with its signed answer, ≈ 85 % of a case — never change again: so a save writes the head and
 * the hops that are new or changed since the version it replaces. A 5-hop traceback sent 43.6 KB to Redis when
 * every save rewrote the whole case (bench/traceback.ts).
 */
import type { Case, Hop } from '../case.js';

const hopField = (i: number): string => `h:${i}`;

/** As `json` holds it: the hops counted, not listed. */
type CaseHead = Omit<Case, 'hops'> & { hops: number };

export interface CaseFields {
  json: string;
  /** Field and value, in turn, of each hop `prev` (the version `c` replaces) does not hold as it is. */
  hops: string[];
}

/**
 * `c` as hash fields; with `prev`, only the hops that are not the very objects of `prev` (the engine copies what it
 * changes, hub/engine.ts, so an unchanged hop is the same object).
 */
export function caseFields(c: Case, prev?: Case): CaseFields {
  const hops: string[] = [];
  c.hops.forEach((hop, i) => {
    if (hop !== prev?.hops[i]) hops.push(hopField(i), JSON.stringify(hop));
  });
  const head: CaseHead = { ...c, hops: c.hops.length };
  return { json: JSON.stringify(head), hops };
}

/** The case from its hash fields; undefined when there is none. A case stored whole (`hops` a list) reads as is. */
export function caseFromFields(fields: Record<string, string>): Case | undefined {
  if (fields.json === undefined) return undefined;
  const head = JSON.parse(fields.json) as CaseHead | Case;
  if (typeof head.hops !== 'number') return head as Case;
  const hops: Hop[] = new Array(head.hops);
  for (let i = 0; i < head.hops; i++) {
    const hop = fields[hopField(i)];
    // Written by the same script as the head: a missing one is a store that lost part of a hash.
    if (hop === undefined) throw new Error(`case ${head.id}: field ${hopField(i)} of its ${head.hops} hops is missing`);
    hops[i] = JSON.parse(hop) as Hop;
  }
  return { ...head, hops };
}

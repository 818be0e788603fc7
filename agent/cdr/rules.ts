/**
 * What a carrier says about one CDR source beyond its format (config/agent.ts `cdr[]`): how the numbers its
 * switch writes are read (technical prefixes, the NPA of 7-digit numbers, `00` as international; per ingress
 * trunk group where trunks differ: cdr-formats.md §5 step 4, "never by guessing"), and how its ingress is
 * named for the ingress map: a realm for records that carry none (the SBC or network the source stands for),
 * and a prefix that scopes trunk group names to their SBC, since two SBCs may both have a `TG1`.
 */
import type { TrunkRules } from '../../proto/tn.js';

export interface SourceRules {
  /** Number rules of every record of the source. */
  numbers?: TrunkRules;
  /** Number rules by ingress trunk group, as the CDR writes it (case-insensitive); they replace `numbers`. */
  trunks?: ReadonlyMap<string, TrunkRules>;
  /** The realm of records that name none. */
  realm?: string;
  /** Put before every trunk group name, e.g. `sbc01/`. */
  trunkGroupPrefix?: string;
}

/** The number rules of a record that came in on `trunkGroup` (as written, before any prefix). */
export function numberRules(rules: SourceRules | undefined, trunkGroup: string | undefined): TrunkRules | undefined {
  if (rules === undefined) return undefined;
  if (trunkGroup && rules.trunks !== undefined && rules.trunks.size > 0) {
    const own = rules.trunks.get(trunkGroup.toLowerCase());
    if (own !== undefined) return own;
  }
  return rules.numbers;
}

/** Rules as configured (a list of trunks) → the form a reader uses. */
export function sourceRules(config: {
  numbers?: TrunkRules | undefined;
  trunks?: readonly (TrunkRules & { trunkGroup: string })[] | undefined;
  ingress?: { realm?: string | undefined; trunkGroupPrefix?: string | undefined } | undefined;
}): SourceRules | undefined {
  const rules: SourceRules = {};
  if (config.numbers !== undefined && Object.keys(config.numbers).length > 0) rules.numbers = config.numbers;
  const trunks = config.trunks ?? [];
  if (trunks.length > 0) rules.trunks = new Map(trunks.map(({ trunkGroup, ...r }) => [trunkGroup.toLowerCase(), r]));
  if (config.ingress?.realm) rules.realm = config.ingress.realm;
  if (config.ingress?.trunkGroupPrefix) rules.trunkGroupPrefix = config.ingress.trunkGroupPrefix;
  return Object.keys(rules).length > 0 ? rules : undefined;
}

/**
 * The DNO decision for one call (domain.md §2.6), pure: the policy server asks it on every INVITE.
 *
 * Order: exemptions (emergency called number, allow-list) → continue; calling number absent or anonymous →
 * continue; invalid NANP structure → invalid; unallocated NPA-NXX (CO table loaded) → unallocated; the
 * carrier's unassigned numbers → unassigned; subscriber-requested lists (exact, then prefixes/ranges) →
 * listed. Each category's action (block or monitor) is configured.
 *
 * Exemptions can only turn a stop into a continue, so they are checked after a category matched: the outcome
 * is that of the order above, and the common call (no match) skips parsing the called number. An exempted call
 * carries the exemption as its rule ('emergency', 'allow:+1202…'), which is what an audit wants to see.
 *
 * Project choices:
 * - 'fictional-555' (555-0100…0199) is structurally valid: a flag on the Tn, not a DNO category, so it
 *   continues (domain.md §2.4 lists it as "worth a flag"; blocking it would make a rule of a heuristic).
 * - A calling number that could not be normalised ('unnormalised', e.g. `sip:alice@…`) continues: it is not
 *   a number, so no NANP rule or list can say it must not originate.
 * - Non-NANP numbers get no structure check; they are still matched against the lists.
 */
import type { DnoCategory } from '../../proto/messages.js';
import { isEmergency, type Tn, type Validity } from '../../proto/tn.js';
import { targetOf, type DnoSnapshot } from './snapshot.js';

export type DnoAction = 'block' | 'monitor';

export interface Decision {
  action: 'continue' | DnoAction;
  category?: DnoCategory;
  /** What matched: 'npa-n9x', 'co:202-555', 'listed:+12025550100', 'prefix:+1900', 'emergency', 'allow:…'. */
  rule?: string;
  listVersion: number;
}

export interface DecideInput {
  calling: Tn | null;
  /** The called number as the SBC presented it (the emergency check understands every form). */
  called: string;
}

export interface DecideContext {
  snapshot: DnoSnapshot;
  actions: Readonly<Record<DnoCategory, DnoAction>>;
  /** Exempt called numbers beyond 911 and 112, as dialled ('933', '988'). */
  emergency: readonly string[];
  /** PSAPs and government emergency outbound numbers: never stopped (domain.md §2.5). */
  allow?: DnoSnapshot;
}

export function decide(input: DecideInput, ctx: DecideContext): Decision {
  const snapshot = ctx.snapshot;
  const listVersion = snapshot.version;
  const calling = input.calling;
  if (calling === null || calling.anonymous || calling.e164 === null) return { action: 'continue', listVersion };
  const e164 = calling.e164;
  // Steps 3–6 of domain.md §2.6, without an object until there is something to say (the common call allocates
  // only its answer). The snapshot resolves a number in several lists to the earliest category of this order.
  let category: DnoCategory;
  let rule: string;
  if (isStructurallyInvalid(calling.validity)) {
    category = 'invalid';
    rule = calling.validity;
  } else {
    const listed = snapshot.categoryOf(e164);
    const co = listed === 'invalid' ? null : snapshot.unallocated(e164);
    if (co !== null) {
      category = 'unallocated';
      rule = co;
    } else if (listed !== null) {
      category = listed;
      rule = snapshot.ruleOf(e164)!;
    } else return { action: 'continue', listVersion };
  }
  if (isEmergency(input.called, ctx.emergency)) return { action: 'continue', rule: 'emergency', listVersion };
  const allowed = ctx.allow?.lookup(e164);
  if (allowed) return { action: 'continue', rule: `allow:${targetOf(allowed.entry)}`, listVersion };
  return { action: ctx.actions[category], category, rule, listVersion };
}

function isStructurallyInvalid(validity: Validity): boolean {
  switch (validity) {
    case 'length':
    case 'npa-0-1':
    case 'npa-n9x':
    case 'npa-n11':
    case 'nxx-0-1':
    case 'nxx-n11':
      return true;
    case 'valid':
    case 'fictional-555':
    case 'non-nanp':
    case 'unnormalised':
      return false;
  }
}

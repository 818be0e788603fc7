/**
 * What the demo must see, checked against what happened: every DNO-listed or invalid caller blocked with a
 * 603 and Q.850 cause 21 by the first policy server on its route and every other call delivered; every
 * delivered call traced hop by hop back along its route to its originator or point of entry, each hop
 * answered from a source that carrier really learned the call from; the phantom call not found. Pure: a list
 * of problems, empty when all is as expected.
 */
import type { Case } from '../hub/case.js';
import type { Network } from './network.js';
import type { PlacedCall } from './place.js';

export interface Traced {
  /** The placed call the traceback is about; absent for the phantom (a call nobody carried). */
  placed?: PlacedCall;
  case: Case;
}

export function placementProblems(placed: readonly PlacedCall[], network: Network): string[] {
  const problems: string[] = [];
  const policy = new Set(network.providers.filter((p) => p.policyServer).map((p) => p.id));
  for (const pc of placed) {
    const { n, spoof, route, calling } = pc.call;
    const firstPolicy = network.routes[route]!.legs.find((l) => policy.has(l.provider))?.provider;
    if (spoof === 'ordinary') {
      if (pc.blockedBy) problems.push(`call ${n} from ${calling} was blocked by ${pc.blockedBy.provider} (${pc.blockedBy.status}), expected it delivered`);
      else if (pc.deliveredAt === undefined) problems.push(`call ${n} from ${calling} never reached the terminating carrier`);
      continue;
    }
    if (!pc.blockedBy) problems.push(`call ${n} from ${calling} (${spoof}) was not blocked, expected 603 at ${firstPolicy}`);
    else if (pc.blockedBy.provider !== firstPolicy || pc.blockedBy.status !== 603 || !/cause=21/.test(pc.blockedBy.reason ?? '')) {
      problems.push(`call ${n} from ${calling} (${spoof}) got ${pc.blockedBy.status} at ${pc.blockedBy.provider} with Reason ${pc.blockedBy.reason ?? '(none)'}, expected 603 with Q.850 cause 21 at ${firstPolicy}`);
    }
  }
  return problems;
}

export function tracebackProblems(traced: readonly Traced[], network: Network): string[] {
  const problems: string[] = [];
  for (const { placed, case: c } of traced) {
    const name = placed ? `traceback of call ${placed.call.n}` : 'traceback of the phantom call';
    if (!placed) {
      if (c.status !== 'not_found') problems.push(`${name} ended ${c.status}, expected not_found`);
      continue;
    }
    const route = network.routes[placed.call.route]!;
    const chain = route.legs.map((l) => l.provider).reverse();
    const first = route.legs[0]!.provider;
    const got = c.hops.map((h) => h.provider);
    if (c.status !== route.ends) problems.push(`${name} ended ${c.status}${c.detail ? ` (${c.detail})` : ''}, expected ${route.ends}`);
    if (got.join() !== chain.join()) problems.push(`${name} went ${got.join(' → ')}, expected ${chain.join(' → ')}`);
    if (route.ends === 'originated' && c.originator !== first) problems.push(`${name} named originator ${c.originator}, expected ${first}`);
    if (route.ends === 'foreign' && c.pointOfEntry !== first) problems.push(`${name} named point of entry ${c.pointOfEntry}, expected ${first}`);
    for (const h of c.hops) {
      const source = h.answer?.matches[0]?.source;
      const learned = placed.learned.filter((l) => l.provider === h.provider).map((l) => l.source);
      if (source && !learned.includes(source)) problems.push(`${name}: ${h.provider} answered from ${source}, but learned the call only from ${learned.join(', ')}`);
    }
  }
  return problems;
}

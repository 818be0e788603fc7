/**
 * BroadWorks accounting CDRs (cdr-formats.md §2.3), what the CSV and XML forms share: which records count, how
 * times read, and where the call came from. Only `Normal` records describe calls (Start/End/Failover… are file
 * and system markers). Ingress by direction: an `Originating` record is a call from one of the carrier's own
 * users (realm `line`, the access device's address, and the user's trunk group under Business Trunking); a
 * `Terminating` record came from the network through `route` (an address, or a name used as trunk group).
 */
import net from 'node:net';
import { z } from 'zod';
import { peer, type CallFields } from './assemble.js';
import { LINE_REALM } from './format.js';
import { broadworksOffset, broadworksStamp } from './time-syntax.js';

export interface BroadWorksRecord {
  type: string;
  direction: string;
  calling: string;
  presentation: string;
  called: string;
  startTime: string;
  userTimeZone: string;
  route: string;
  networkCallId: string;
  accessDevice: string;
  /** XML only: centrexModule/trunkGroupName. */
  trunkGroupName?: string;
}

export type BroadWorksLabels = Record<'called' | 'startTime' | 'userTimeZone', string>;

/**
 * Whether startTime is GMT (cgrates and the R22 spec read it so) or the user's local time, to be shifted by
 * userTimeZone. Unverified against a live system: 'utc' is the default, 'local' the escape hatch.
 */
export const StartTimeIs = z.enum(['utc', 'local']).default('utc');

export function broadworksCall(
  r: BroadWorksRecord,
  labels: BroadWorksLabels,
  startTimeIs: z.output<typeof StartTimeIs>,
): CallFields | null | string {
  if (r.type.toLowerCase() !== 'normal') return null;
  const wall = broadworksStamp(r.startTime);
  if (wall === null) return `${labels.startTime}: "${r.startTime}" is not yyyymmddhhmmss.mmm`;
  let at = wall;
  if (startTimeIs === 'local') {
    const offset = broadworksOffset(r.userTimeZone);
    if (offset === null) return `${labels.userTimeZone}: "${r.userTimeZone}" is not a BroadWorks zone like 1+020000`;
    at = wall - offset;
  }
  const originating = r.direction.toLowerCase() === 'originating';
  return {
    calling: r.calling,
    withheld: r.presentation.toLowerCase() === 'private',
    called: r.called,
    calledLabel: labels.called,
    time: { at },
    ingress: originating
      ? { realm: LINE_REALM, trunkGroup: r.trunkGroupName, ...peer(r.accessDevice) }
      : networkIngress(r.route),
    callId: r.networkCallId,
  };
}

function networkIngress(route: string): CallFields['ingress'] {
  const address = peer(route);
  return address.ip !== undefined && net.isIP(address.ip) !== 0 ? address : { trunkGroup: route };
}

/**
 * Metaswitch CFS XML billing files (cdr-formats.md §2.4): `<File><CDRs><Call …>` with epoch-ms UTC times. The
 * ingress is the originating party: a `NetworkTrunkPartyType` came in over a trunk (its trunk name is the trunk
 * group); any other party type (line, business line, PBX) is the carrier's own customer: realm `line`.
 * Every address carries `type` (e164, national, unknown), passed to normalisation as the nature of address.
 */
import { z } from 'zod';
import type { NatureOfAddress } from './assemble.js';
import { LINE_REALM, type CdrFormat } from './format.js';
import { documentReader } from './reader.js';
import { epoch } from './time-syntax.js';
import { attrOf, child, textOf } from './xml.js';

const Options = z.strictObject({});

const RECORD = 'Call';
const TRUNK_PARTY = 'NetworkTrunkPartyType';

export const metaswitch: CdrFormat = {
  name: 'metaswitch',
  framing: 'xml-record',
  recordElement: RECORD,
  options: Options,
  parseDocument: documentReader('metaswitch', Options, RECORD, (call) => {
    const seize = textOf(child(call, 'IcSeizeTime'));
    const at = epoch(seize, 'ms');
    if (at === null) return `IcSeizeTime: "${seize}" is not epoch milliseconds`;
    const orig = child(call, 'OrigParty');
    const callingAddr = child(orig, 'CallingPartyAddr');
    const requested = child(call, 'RoutingInfo', 'RequestedAddr');
    const trunk = attrOf(orig, 'type') === TRUNK_PARTY;
    const sipCallId = textOf(child(orig, 'SIPCallId'));
    return {
      calling: textOf(callingAddr),
      callingNoa: natureOfAddress(attrOf(callingAddr, 'type')),
      withheld: attrOf(orig, 'privacy') === 'true',
      called: textOf(requested),
      calledNoa: natureOfAddress(attrOf(requested, 'type')),
      calledLabel: 'RoutingInfo/RequestedAddr',
      time: { at },
      ingress: trunk ? { trunkGroup: attrOf(child(orig, 'TrunkGroup'), 'trunkname') } : { realm: LINE_REALM },
      // The SIP Call-ID joins other sources' records of the call; the correlator joins this switch's legs.
      callId: sipCallId !== '' ? sipCallId : attrOf(call, 'correlator'),
    };
  }),
};

function natureOfAddress(type: string | undefined): NatureOfAddress | undefined {
  return type === 'e164' || type === 'national' ? type : undefined;
}

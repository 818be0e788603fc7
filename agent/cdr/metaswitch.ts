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
import { xmlFields } from './xml-paths.js';

const Options = z.strictObject({});

const RECORD = 'Call';
const TRUNK_PARTY = 'NetworkTrunkPartyType';

/** What the format reads of a Call: only these are built or read. */
export const metaswitchFields = xmlFields(RECORD, {
  correlator: '@correlator',
  seize: 'IcSeizeTime',
  origType: 'OrigParty@type',
  privacy: 'OrigParty@privacy',
  calling: 'OrigParty/CallingPartyAddr',
  callingType: 'OrigParty/CallingPartyAddr@type',
  trunkName: 'OrigParty/TrunkGroup@trunkname',
  sipCallId: 'OrigParty/SIPCallId',
  called: 'RoutingInfo/RequestedAddr',
  calledType: 'RoutingInfo/RequestedAddr@type',
});

export const metaswitch: CdrFormat = {
  name: 'metaswitch',
  framing: 'xml-record',
  recordElement: RECORD,
  options: Options,
  parseDocument: documentReader('metaswitch', Options, metaswitchFields, (f) => {
    const at = epoch(f.seize, 'ms');
    if (at === null) return `${metaswitchFields.path.seize}: "${f.seize}" is not epoch milliseconds`;
    return {
      calling: f.calling,
      callingNoa: natureOfAddress(f.callingType),
      withheld: f.privacy === 'true',
      called: f.called,
      calledNoa: natureOfAddress(f.calledType),
      calledLabel: metaswitchFields.path.called,
      time: { at },
      ingress: f.origType === TRUNK_PARTY ? { trunkGroup: f.trunkName } : { realm: LINE_REALM },
      // The SIP Call-ID joins other sources' records of the call; the correlator joins this switch's legs.
      callId: f.sipCallId !== '' ? f.sipCallId : f.correlator,
    };
  }),
};

function natureOfAddress(type: string | undefined): NatureOfAddress | undefined {
  return type === 'e164' || type === 'national' ? type : undefined;
}

/**
 * What every format does once it has found the fields of one record: normalise the numbers (proto/tn.ts),
 * apply the anonymity rules, and assemble the CallRecord. Formats only find fields; the rules live here once.
 */
import type { Ingress } from '../../proto/messages.js';
import { normalise, type TrunkRules } from '../../proto/tn.js';
import type { CallRecord } from '../calls/record.js';
import { utf8Text } from './csv.js';
import type { UtcTime } from './time.js';

export type NatureOfAddress = NonNullable<TrunkRules['natureOfAddress']>;

export interface CallFields {
  /** As received: digits, a URI or a whole From header. */
  calling: string;
  callingNoa?: NatureOfAddress;
  /** P-Asserted-Identity (RFC 3325) or the record's equivalent: the caller when `calling` is withheld. */
  pai?: string;
  /** The record flags presentation as restricted although a number is present (RFC 3323 `Privacy: id`). */
  withheld?: boolean;
  /** As dialled: the index key. */
  called: string;
  calledNoa?: NatureOfAddress;
  /** Names the called field in the error when it is not a number: `field 60 (dialled number)`. */
  calledLabel: string;
  time: UtcTime;
  /** Raw text; empty values are dropped and latin1 text is re-read as UTF-8 where valid. */
  ingress: { ip?: string; port?: number; trunkGroup?: string; realm?: string };
  callId?: string;
}

/** The record, or a reason naming the field that prevents one. */
export function callRecord(format: string, f: CallFields, trunk: TrunkRules | undefined): CallRecord | string {
  const dialled = normalise(f.called, withNoa(trunk, f.calledNoa));
  if (dialled.e164 === null) {
    const what = f.called === '' ? 'is empty' : 'does not normalise to an E.164 number';
    return `${f.calledLabel}: "${f.called}" ${what}`;
  }
  const from = normalise(f.calling, withNoa(trunk, f.callingNoa));
  let calling: string;
  let anonymous = f.withheld === true;
  if (from.anonymous) {
    anonymous = true;
    calling = '';
    if (f.pai !== undefined && f.pai !== '') {
      const asserted = normalise(f.pai, trunk);
      if (!asserted.anonymous) calling = asserted.e164 ?? asserted.raw;
    }
  } else {
    // Never drop an invalid or unnormalisable caller: a spoofed number is itself evidence (§5 step 6).
    calling = from.e164 ?? from.raw;
  }

  const record: CallRecord = {
    at: f.time.at,
    calling,
    called: dialled.e164,
    source: `cdr:${format}`,
    ingress: ingress(f.ingress),
  };
  if (anonymous) record.anonymous = true;
  if (f.time.clockUntrusted) record.clockUntrusted = true;
  if (f.time.atAlt !== undefined) record.atAlt = f.time.atAlt;
  if (f.callId !== undefined && f.callId !== '') record.callId = utf8Text(f.callId);
  return record;
}

function withNoa(trunk: TrunkRules | undefined, noa: NatureOfAddress | undefined): TrunkRules | undefined {
  return noa === undefined ? trunk : { ...trunk, natureOfAddress: noa };
}

function ingress(raw: CallFields['ingress']): Ingress {
  const out: Ingress = {};
  if (raw.ip) out.ip = raw.ip;
  if (raw.port !== undefined) out.port = raw.port;
  if (raw.trunkGroup) out.trunkGroup = utf8Text(raw.trunkGroup);
  if (raw.realm) out.realm = utf8Text(raw.realm);
  return out;
}

/**
 * A signalling peer as CDRs write it: `192.0.2.7`, `192.0.2.7:5060`, `[2001:db8::7]:5060`, `2001:db8::7`, or a
 * host name (Sansay allows FQDNs: kept as written, the ingress map simply finds no CIDR for it).
 */
export function peer(text: string): { ip?: string; port?: number } {
  const s = text.trim();
  if (s === '') return {};
  if (s.charCodeAt(0) === 91) {
    const close = s.indexOf(']');
    if (close < 0) return { ip: s };
    return withPort(s.slice(1, close), s.slice(close + 2));
  }
  const colon = s.indexOf(':');
  if (colon < 0 || s.indexOf(':', colon + 1) >= 0) return { ip: s };
  return withPort(s.slice(0, colon), s.slice(colon + 1));
}

function withPort(ip: string, portText: string): { ip: string; port?: number } {
  const port = Number(portText);
  return portText !== '' && Number.isInteger(port) && port >= 0 && port <= 65_535 ? { ip, port } : { ip };
}

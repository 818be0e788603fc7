/**
 * What every format does once it has found the fields of one record: normalise the numbers (proto/tn.ts),
 * apply the anonymity rules, and assemble the CallRecord. Formats only find fields; the rules live here once.
 */
import type { Ingress } from '../../proto/messages.js';
import { normalise, plainE164, type TrunkRules } from '../../proto/tn.js';
import type { CallRecord } from '../calls/record.js';
import { utf8Text } from './csv.js';
import { numberRules, type SourceRules } from './rules.js';
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
  /**
   * Raw text; empty values are dropped and latin1 text is re-read as UTF-8 where valid. `peer` is a signalling
   * address as the CDR writes it (`192.0.2.7:5060`), read into ip and port when `ip` is not given.
   */
  ingress: { ip?: string; port?: number; trunkGroup?: string; realm?: string; peer?: string };
  callId?: string;
}

/** The record, or a reason naming the field that prevents one. `rules` are the source's (rules.ts). */
export function callRecord(format: string, f: CallFields, rules: SourceRules | undefined): CallRecord | string {
  const trunk = numberRules(rules, f.ingress.trunkGroup);
  const called = plainE164(f.called, trunk, f.calledNoa) ?? normalise(f.called, withNoa(trunk, f.calledNoa)).e164;
  if (called === null) {
    const what = f.called === '' ? 'is empty' : 'does not normalise to an E.164 number';
    return `${f.calledLabel}: "${f.called}" ${what}`;
  }
  const plainCalling = plainE164(f.calling, trunk, f.callingNoa);
  const from = plainCalling === null ? normalise(f.calling, withNoa(trunk, f.callingNoa)) : { anonymous: false, e164: plainCalling, raw: f.calling };
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
    calling: own(calling),
    called: own(called),
    source: sourceOf(format),
    ingress: ingress(f.ingress, rules),
  };
  if (anonymous) record.anonymous = true;
  if (f.time.clockUntrusted) record.clockUntrusted = true;
  if (f.time.atAlt !== undefined) record.atAlt = f.time.atAlt;
  if (f.callId !== undefined && f.callId !== '') record.callId = own(utf8Text(f.callId));
  return record;
}

/**
 * `s` as a string of its own (a slice of a private copy). A field sliced from a line is, for V8, a view of the
 * 64 kB text the line was read in (from 13 characters up): a record waiting for the index kept its whole window
 * alive, and the young generation's collections copied windows by the megabyte (bench/README.md, CDR ingestion:
 * the tailer 1.6 times faster without). Concatenating makes a string V8 flattens into a copy of its own when it
 * is sliced.
 */
function own(s: string): string {
  return s.length < SLICED_MIN ? s : (' ' + s).slice(1);
}

/** The shortest slice V8 makes a view of the string sliced (SlicedString::kMinLength); shorter ones are copies. */
const SLICED_MIN = 13;

/** `cdr:<format>`, made once: a string built per record would be built again as a key wherever it is looked up. */
const sources = new Map<string, CallRecord['source']>();
function sourceOf(format: string): CallRecord['source'] {
  let source = sources.get(format);
  if (source === undefined) sources.set(format, (source = `cdr:${format}`));
  return source;
}

function withNoa(trunk: TrunkRules | undefined, noa: NatureOfAddress | undefined): TrunkRules | undefined {
  return noa === undefined ? trunk : { ...trunk, natureOfAddress: noa };
}

function ingress(raw: CallFields['ingress'], rules: SourceRules | undefined): Ingress {
  const out: Ingress = {};
  if (raw.ip) out.ip = own(raw.ip);
  if (raw.port !== undefined) out.port = raw.port;
  if (!raw.ip && raw.peer) peerInto(out, raw.peer);
  if (raw.trunkGroup) {
    const name = utf8Text(raw.trunkGroup);
    out.trunkGroup = own(rules?.trunkGroupPrefix === undefined ? name : rules.trunkGroupPrefix + name);
  }
  if (raw.realm) out.realm = own(utf8Text(raw.realm));
  else if (rules?.realm !== undefined) out.realm = rules.realm;
  return out;
}

function peerInto(out: Ingress, text: string): void {
  const p = peer(text);
  if (p.ip !== undefined) out.ip = own(p.ip);
  if (p.port !== undefined) out.port = p.port;
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

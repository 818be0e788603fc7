/**
 * FreeSWITCH channel variables → a call (cdr-formats.md §2.8), shared by mod_cdr_csv and mod_xml_cdr. Only
 * inbound legs say how a call came in: a row or document whose `direction` is another value is skipped. The
 * start time prefers the UTC epochs (`start_uepoch`, `start_epoch`) over the local `start_stamp`.
 */
import { peer, type CallFields } from './assemble.js';
import { zonedToUtc, type UtcTime } from './time.js';
import { dateTimeIso, epoch } from './time-syntax.js';

/** A variable's value ('' when absent) and the name an error should use for it. */
export interface Variables {
  get(name: string): string;
  label(name: string): string;
}

export function freeswitchCall(v: Variables, zone: string): CallFields | null | string {
  const direction = v.get('direction');
  if (direction !== '' && direction !== 'inbound') return null;
  const time = startTime(v, zone);
  if (typeof time === 'string') return time;
  const called = first(v, 'destination_number', 'sip_req_user');
  const ip = first(v, 'sip_network_ip', 'network_addr');
  const callId = first(v, 'sip_call_id', 'uuid');
  return {
    calling: v.get(first(v, 'caller_id_number', 'sip_from_user')),
    pai: v.get(first(v, 'sip_h_P-Asserted-Identity', 'sip_P-Asserted-Identity')),
    called: v.get(called),
    calledLabel: v.label(called),
    time,
    ingress: { trunkGroup: v.get('sip_gateway_name'), realm: v.get('sofia_profile_name'), peer: v.get(ip) },
    callId: v.get(callId),
  };
}

/** The first name with a value, else the first name (for the error message). */
function first(v: Variables, name: string, fallback: string): string {
  return v.get(name) !== '' || v.get(fallback) === '' ? name : fallback;
}

function startTime(v: Variables, zone: string): UtcTime | string {
  const micros = v.get('start_uepoch');
  if (micros !== '') {
    const at = epoch(micros, 'us');
    return at === null ? `${v.label('start_uepoch')}: "${micros}" is not epoch microseconds` : { at };
  }
  const seconds = v.get('start_epoch');
  if (seconds !== '') {
    const at = epoch(seconds, 's');
    return at === null ? `${v.label('start_epoch')}: "${seconds}" is not epoch seconds` : { at };
  }
  const stamp = v.get('start_stamp');
  const wall = dateTimeIso(stamp);
  if (wall === null) {
    return stamp === ''
      ? 'no start time: none of start_uepoch, start_epoch, start_stamp has a value'
      : `${v.label('start_stamp')}: "${stamp}" is not YYYY-MM-DD HH:MM:SS`;
  }
  const utc = zonedToUtc(wall, zone);
  return typeof utc === 'string' ? `${v.label('start_stamp')}: ${utc}` : utc;
}

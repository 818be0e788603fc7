/**
 * CDR lines as the simulated carriers' switches write them, one writer per format, in the layouts the agent's
 * readers take (agent/cdr/, docs in /work/shared/reference/cdr-formats.md): Asterisk cdr_csv, Ribbon SBC
 * `.ACT` STOP records, Kamailio acc db_flatstore rows, FreeSWITCH mod_cdr_csv with a traceback template.
 * Each switch writes its own clock's local time and its own number forms (NANP numbers without +1). Pure.
 */
import type { CdrFormat } from '../config/agent.js';
import { twoDigits, wallClock as zoneWallClock } from '../proto/wall-clock.js';

/** One call as a switch saw it. `at` is the switch's clock (skew applied by the caller), epoch ms UTC. */
export interface CdrLeg {
  at: number;
  calling: string;
  called: string;
  /** Ingress as the switch records it. */
  ip?: string;
  trunkGroup?: string;
  callId: string;
  /** Record sequence number on this switch. */
  seq: number;
}

export type CdrWriter = (leg: CdrLeg, zone: string) => string;

export class UnsupportedCdrFormatError extends Error {
  override readonly name = 'UnsupportedCdrFormatError';
  constructor(readonly format: string) {
    super(`the simulator writes no ${format} CDRs (it writes ${Object.keys(WRITERS).join(', ')})`);
  }
}

/** NANP numbers as North American switches log them (10 digits); others as E.164 without the +. */
export function switchNumber(e164: string): string {
  return e164.startsWith('+1') && e164.length === 12 ? e164.slice(2) : e164.replace(/^\+/, '');
}

/** Wall-clock fields of `at` in `zone`, as the switches write them (two digits, tenths, the zone's short name). */
export function wallClock(at: number, zone: string): { y: string; mo: string; d: string; h: string; mi: string; s: string; tenth: string; abbr: string } {
  const w = zoneWallClock(at, zone);
  return { y: String(w.year), mo: twoDigits(w.month), d: twoDigits(w.day), h: twoDigits(w.hour), mi: twoDigits(w.minute), s: twoDigits(w.second), tenth: String(Math.floor((at % 1000) / 100)), abbr: w.zoneName };
}

const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;

/** Asterisk cdr_csv Master.csv: the sixteen base columns, local `YYYY-MM-DD HH:MM:SS`, the channel names the peer. */
export function asteriskLine(leg: CdrLeg, zone: string): string {
  const w = wallClock(leg.at, zone);
  const start = `${w.y}-${w.mo}-${w.d} ${w.h}:${w.mi}:${w.s}`;
  const endAt = wallClock(leg.at + 28_000, zone);
  const end = `${endAt.y}-${endAt.mo}-${endAt.d} ${endAt.h}:${endAt.mi}:${endAt.s}`;
  const src = switchNumber(leg.calling);
  const dst = switchNumber(leg.called);
  const channel = `${leg.trunkGroup ?? 'PJSIP/unknown'}-${leg.seq.toString(16).padStart(8, '0')}`;
  return [
    quote(''), quote(src), quote(dst), quote('from-customers'), quote(`"" <${src}>`), quote(channel), quote(`PJSIP/midstate-${(leg.seq + 1).toString(16).padStart(8, '0')}`),
    quote('Dial'), quote(`PJSIP/${dst}@midstate,30`), quote(start), '', quote(end), '28', '0', quote('NO ANSWER'), quote('DOCUMENTATION'),
  ].join(',');
}

/** Ribbon SBC Core STOP record: node zone (5), local date and time (6, 7), trunk group (34), numbers (60, 70), GCID (82), peer (126). */
export function ribbonLine(leg: CdrLeg, zone: string): string {
  const w = wallClock(leg.at, zone);
  const f: string[] = new Array(140).fill('');
  const set = (pos: number, v: string) => {
    f[pos - 1] = v;
  };
  const calling = switchNumber(leg.calling);
  const called = switchNumber(leg.called);
  set(1, 'STOP');
  set(2, 'SBC01');
  set(3, `0x00016E9A${leg.seq.toString(16).toUpperCase().padStart(8, '0')}`);
  set(4, String(1_200_000 + leg.seq));
  set(5, w.abbr);
  set(6, `${w.mo}/${w.d}/${w.y}`);
  set(7, `${w.h}:${w.mi}:${w.s}.${w.tenth}`);
  set(20, calling);
  set(21, called);
  set(34, leg.trunkGroup ?? '');
  set(60, called);
  set(70, calling);
  set(82, leg.callId);
  set(115, '3');
  set(126, leg.ip ?? '');
  return f.join(',');
}

/** Kamailio acc db_flatstore row with the default kamailio.cfg extras; time_mode 2 (epoch seconds.ms, UTC). */
export function kamailioLine(leg: CdrLeg): string {
  const time = `${Math.floor(leg.at / 1000)}.${String(leg.at % 1000).padStart(3, '0')}`;
  const calling = switchNumber(leg.calling);
  const called = switchNumber(leg.called);
  return ['INVITE', `f${leg.seq}`, `t${leg.seq}`, leg.callId, '200', 'OK', time, calling, leg.ip ?? '', leg.ip ?? '', called, called, '127.0.0.30'].join('|');
}

/** FreeSWITCH mod_cdr_csv with the traceback template of sim/network.ts: direction, start_uepoch, peer, gateway, Call-ID, numbers. */
export function freeswitchCsvLine(leg: CdrLeg): string {
  return ['inbound', `${leg.at}000`, leg.ip ?? '', leg.trunkGroup ?? '', leg.callId, leg.calling, switchNumber(leg.called)].map(quote).join(',');
}

const WRITERS: Partial<Record<CdrFormat, CdrWriter>> = {
  asterisk: asteriskLine,
  ribbon: ribbonLine,
  kamailio: (leg) => kamailioLine(leg),
  'freeswitch-csv': (leg) => freeswitchCsvLine(leg),
};

export function cdrWriter(format: CdrFormat): CdrWriter {
  const w = WRITERS[format];
  if (!w) throw new UnsupportedCdrFormatError(format);
  return w;
}

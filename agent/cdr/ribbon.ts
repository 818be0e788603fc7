/**
 * Ribbon (Sonus) SBC Core ASCII accounting `.ACT` files (cdr-formats.md §2.1). STOP and ATTEMPT records are
 * kept (an ATTEMPT is a call that never connected: robocalls often are); START, INTERMEDIATE and the system
 * records are skipped. Positions follow the STOP and ATTEMPT field tables and can be overridden per release.
 * Times are local to the node's zone (field 5), mapped through `nodeZones`, else read as an IANA name, else
 * the source's configured zone — never assumed UTC.
 */
import { z } from 'zod';
import { peer, type NatureOfAddress } from './assemble.js';
import { CsvSyntaxError, firstField, splitCsv } from './csv.js';
import type { CdrFormat } from './format.js';
import { field, highest, label, Position, tooShort } from './positions.js';
import { lineReader } from './reader.js';
import { isTimeZone, zonedToUtc } from './time.js';
import { dateMdy, timeOfDay } from './time-syntax.js';

const Stop = z.strictObject({
  zone: Position.default(5),
  date: Position.default(6),
  time: Position.default(7),
  callingTranslated: Position.default(20),
  calledTranslated: Position.default(21),
  trunkGroup: Position.default(34),
  called: Position.default(60),
  calling: Position.default(70),
  presentation: Position.default(75),
  callId: Position.default(82),
  callingNoa: Position.default(115),
  peerIp: Position.default(126),
});

/**
 * ATTEMPT has its own table: calling 17, called 18, trunk group 31, peer IP 116. Its GCID, nature of address
 * and presentation positions are release-specific: configure them from the release's ATTEMPT field table.
 */
const Attempt = z.strictObject({
  zone: Position.default(5),
  date: Position.default(6),
  time: Position.default(7),
  calling: Position.default(17),
  called: Position.default(18),
  trunkGroup: Position.default(31),
  peerIp: Position.default(116),
  callingTranslated: Position.optional(),
  calledTranslated: Position.optional(),
  presentation: Position.optional(),
  callId: Position.optional(),
  callingNoa: Position.optional(),
});

type Layout = z.output<typeof Attempt>;

const Options = z
  .strictObject({
    stop: Stop.prefault({}),
    attempt: Attempt.prefault({}),
    /** Field 5 values → IANA zones, e.g. `{ "CST": "America/Chicago" }`. */
    nodeZones: z.record(z.string(), z.string().min(1)).default({}),
  })
  .transform((o) => ({ ...o, stopNeed: highest(o.stop), attemptNeed: highest(o.attempt) }));

const SKIPPED: ReadonlySet<string> = new Set([
  'START', 'INTERMEDIATE', 'REBOOT', 'SWITCHOVER', 'SW_CHANGE', 'EVENT', 'RECORDING',
]);

export const ribbon: CdrFormat = {
  name: 'ribbon',
  framing: 'line',
  options: Options,
  parseLine: lineReader('ribbon', Options, (text, o, ctx) => {
    const type = firstField(text, ',');
    if (SKIPPED.has(type)) return null;
    if (type !== 'STOP' && type !== 'ATTEMPT') return `${label(1, 'record type')}: "${type}" is not a Ribbon record type`;
    const layout: Layout = type === 'STOP' ? o.stop : o.attempt;
    const need = type === 'STOP' ? o.stopNeed : o.attemptNeed;

    const f = splitCsv(text, { separator: ',', maxFields: need });
    if (f instanceof CsvSyntaxError) return f.message;
    if (f.length < need) return `${type} ${tooShort(f.length, need)}`;

    const dateText = field(f, layout.date);
    const day = dateMdy(dateText);
    if (day === null) return `${label(layout.date, 'start date')}: "${dateText}" is not mm/dd/yyyy`;
    const timeText = field(f, layout.time);
    const tod = timeOfDay(timeText);
    if (tod === null) return `${label(layout.time, 'start time')}: "${timeText}" is not hh:mm:ss.d`;
    const nodeZone = field(f, layout.zone);
    const zone = o.nodeZones[nodeZone] ?? (isTimeZone(nodeZone) ? nodeZone : ctx.zone);
    const time = zonedToUtc(day + tod, zone);
    if (typeof time === 'string') return `${label(layout.zone, 'node time zone')}: ${time}`;

    // As received (70) beats translated (20): the PSX may have rewritten the number the peer sent.
    const received = field(f, layout.calling);
    const dialled = field(f, layout.called);
    const calledPos = dialled !== '' || layout.calledTranslated === undefined ? layout.called : layout.calledTranslated;
    return {
      calling: received !== '' ? received : field(f, layout.callingTranslated),
      callingNoa: received !== '' ? natureOfAddress(field(f, layout.callingNoa)) : undefined,
      withheld: restricted(field(f, layout.presentation)),
      called: field(f, calledPos),
      calledLabel: label(calledPos, calledPos === layout.called ? 'dialled number' : 'translated called number'),
      time,
      ingress: { trunkGroup: field(f, layout.trunkGroup), peer: field(f, layout.peerIp) },
      callId: field(f, layout.callId),
    };
  }),
};

/** Field 115 holds the ISUP nature of address (3 national, 4 international), as a code or a word. */
function natureOfAddress(v: string): NatureOfAddress | undefined {
  switch (v.toUpperCase()) {
    case '3':
    case 'NATIONAL':
      return 'national';
    case '4':
    case 'INTERNATIONAL':
      return 'e164';
    default:
      return undefined;
  }
}

/** Presentation restriction (field 75): 1 = restricted, as in ISUP's presentation indicator (unverified). */
function restricted(v: string): boolean {
  return v === '1' || v.toUpperCase() === 'RESTRICTED';
}

/**
 * Sansay VSX CDRs (cdr-formats.md §2.5): `;`-separated, `seq;V1.10;R;…`. Every `R` record is kept, the
 * intermediate route attempts too (a failed attempt per route tried); `A` (audit) records are skipped. Times
 * are ctime text in the switch's local time with an explicit "minutes west of GMT": UTC = local + minutes west.
 */
import { z } from 'zod';
import { peer } from './assemble.js';
import { CsvSyntaxError, splitCsv } from './csv.js';
import type { CdrFormat } from './format.js';
import { field, highest, label, Position, tooShort } from './positions.js';
import { lineReader } from './reader.js';
import { ctime } from './time-syntax.js';

const Layout = z.strictObject({
  type: Position.default(3),
  sessionId: Position.default(5),
  startTime: Position.default(7),
  minutesWest: Position.default(10),
  /** Trunk ID – origination. */
  trunk: Position.default(14),
  calling: Position.default(16),
  /** Orig source host: IP or FQDN of the upstream gateway. */
  host: Position.default(17),
  called: Position.default(18),
  callId: Position.default(20),
});

const Options = z
  .strictObject({
    positions: Layout.prefault({}),
    /** RPID/ANI (Remote-Party-ID or P-Asserted-Identity received), near the end of the record. */
    pai: Position.default(59),
  })
  .transform((o) => ({ ...o, need: highest(o.positions), last: Math.max(highest(o.positions), o.pai) }));

const MINUTE = 60_000;

export const sansay: CdrFormat = {
  name: 'sansay',
  framing: 'line',
  options: Options,
  parseLine: lineReader('sansay', Options, (text, o) => {
    const f = splitCsv(text, { separator: ';', maxFields: o.last });
    if (f instanceof CsvSyntaxError) return f.message;
    const p = o.positions;
    const type = field(f, p.type);
    if (type === 'A') return null;
    if (type !== 'R') return `${label(p.type, 'record type')}: "${type}" is not R or A`;
    if (f.length < o.need) return tooShort(f.length, o.need);

    const start = field(f, p.startTime);
    const wall = ctime(start);
    if (wall === null) return `${label(p.startTime, 'start TOD')}: "${start}" is not a ctime date`;
    const westText = field(f, p.minutesWest);
    const west = minutes(westText);
    if (west === null) return `${label(p.minutesWest, 'minutes west of GMT')}: "${westText}" is not a whole number of minutes`;
    const callId = field(f, p.callId);
    return {
      calling: field(f, p.calling),
      pai: field(f, o.pai),
      called: field(f, p.called),
      calledLabel: label(p.called, 'orig destination number'),
      time: { at: wall + west * MINUTE },
      ingress: { trunkGroup: field(f, p.trunk), peer: field(f, p.host) },
      callId: callId !== '' ? callId : field(f, p.sessionId),
    };
  }),
};

function minutes(s: string): number | null {
  const n = Number(s);
  return s !== '' && Number.isInteger(n) && Math.abs(n) <= 14 * 60 ? n : null;
}

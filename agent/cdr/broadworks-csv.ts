/**
 * BroadWorks R22 CSV CDRs (cdr-formats.md §2.3): a header row, then one record per line, positions as in the
 * R22 accounting interface spec. The header row and non-`Normal` records are skipped.
 */
import { z } from 'zod';
import { StartTimeIs, broadworksCall } from './broadworks.js';
import { CsvSyntaxError, firstField, splitCsv } from './csv.js';
import type { CdrFormat } from './format.js';
import { field, highest, label, Position, tooShort } from './positions.js';
import { lineReader } from './reader.js';

const Layout = z.strictObject({
  type: Position.default(3),
  direction: Position.default(6),
  calling: Position.default(7),
  presentation: Position.default(8),
  called: Position.default(9),
  startTime: Position.default(10),
  userTimeZone: Position.default(11),
  route: Position.default(24),
  networkCallId: Position.default(25),
  accessDevice: Position.default(27),
});

const Options = z
  .strictObject({ positions: Layout.prefault({}), startTimeIs: StartTimeIs })
  .transform((o) => ({ ...o, need: highest(o.positions) }));

export const broadworksCsv: CdrFormat = {
  name: 'broadworks-csv',
  framing: 'line',
  options: Options,
  parseLine: lineReader('broadworks-csv', Options, (text, o) => {
    if (firstField(text, ',') === 'recordId') return null;
    const f = splitCsv(text, { separator: ',', maxFields: o.need });
    if (f instanceof CsvSyntaxError) return f.message;
    if (f.length < o.need) return tooShort(f.length, o.need);
    const p = o.positions;
    return broadworksCall(
      {
        type: field(f, p.type),
        direction: field(f, p.direction),
        calling: field(f, p.calling),
        presentation: field(f, p.presentation),
        called: field(f, p.called),
        startTime: field(f, p.startTime),
        userTimeZone: field(f, p.userTimeZone),
        route: field(f, p.route),
        networkCallId: field(f, p.networkCallId),
        accessDevice: field(f, p.accessDevice),
      },
      {
        called: label(p.called, 'calledNumber'),
        startTime: label(p.startTime, 'startTime'),
        userTimeZone: label(p.userTimeZone, 'userTimeZone'),
      },
      o.startTimeIs,
    );
  }),
};

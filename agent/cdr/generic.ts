/**
 * Any delimited CDR export not covered by a vendor format (billing-system dumps, custom scripts): the options
 * say where the fields are (1-based) and how the time is written. Header rows are skipped by count.
 */
import { z } from 'zod';
import { peer } from './assemble.js';
import { CsvSyntaxError, splitCsv } from './csv.js';
import type { CdrFormat } from './format.js';
import { ZoneAbbreviations } from './options.js';
import { field, highest, label, Position, tooShort } from './positions.js';
import { lineReader } from './reader.js';
import { zonedToUtc, type UtcTime } from './time.js';
import { ciscoToUtc, dateTimeIso, epoch, isoInstant } from './time-syntax.js';

const TimeFormat = z.enum(['local', 'utc', 'iso8601', 'epoch-s', 'epoch-ms', 'epoch-us', 'cisco']);
type TimeFormat = z.output<typeof TimeFormat>;

const Options = z
  .strictObject({
    separator: z.string().length(1).default(','),
    /** Header rows at the top of each file. */
    skipLines: z.number().int().min(0).default(0),
    columns: z.strictObject({
      calling: Position,
      called: Position,
      time: Position,
      /** The asserted caller, read when `calling` is withheld. */
      pai: Position.optional(),
      trunkGroup: Position.optional(),
      realm: Position.optional(),
      ip: Position.optional(),
      callId: Position.optional(),
    }),
    /**
     * local / utc: `YYYY-MM-DD HH:MM:SS` in the source's zone / in UTC; iso8601: with its offset;
     * epoch-s|ms|us: UTC epochs; cisco: `15:54:56.868 PST DEC 18 2017` with `zones`.
     */
    timeFormat: TimeFormat.default('local'),
    zones: ZoneAbbreviations,
  })
  .transform((o) => ({ ...o, need: highest(o.columns) }));

const SYNTAX: Readonly<Record<TimeFormat, string>> = {
  local: 'YYYY-MM-DD HH:MM:SS',
  utc: 'YYYY-MM-DD HH:MM:SS',
  iso8601: 'an ISO 8601 time with offset',
  'epoch-s': 'epoch seconds',
  'epoch-ms': 'epoch milliseconds',
  'epoch-us': 'epoch microseconds',
  cisco: 'hh:mm:ss.mmm ZONE Mmm dd yyyy',
};

export const generic: CdrFormat = {
  name: 'generic',
  framing: 'line',
  options: Options,
  parseLine: lineReader('generic', Options, (text, o, ctx, lineNo) => {
    if (lineNo <= o.skipLines) return null;
    const f = splitCsv(text, { separator: o.separator });
    if (f instanceof CsvSyntaxError) return f.message;
    if (f.length < o.need) return tooShort(f.length, o.need);
    const c = o.columns;
    const timeText = field(f, c.time);
    const time = readTime(timeText, o.timeFormat, o.zones, ctx.zone);
    if (time === null) return `${label(c.time, 'time')}: "${timeText}" is not ${SYNTAX[o.timeFormat]}`;
    if (typeof time === 'string') return `${label(c.time, 'time')}: ${time}`;
    return {
      calling: field(f, c.calling),
      pai: field(f, c.pai),
      called: field(f, c.called),
      calledLabel: label(c.called, 'called'),
      time,
      ingress: { trunkGroup: field(f, c.trunkGroup), realm: field(f, c.realm), peer: field(f, c.ip) },
      callId: field(f, c.callId),
    };
  }),
};

function readTime(
  text: string, format: TimeFormat, zones: Readonly<Record<string, string>>, zone: string,
): UtcTime | string | null {
  const utc = (at: number | null): UtcTime | null => (at === null ? null : { at });
  switch (format) {
    case 'local':
    case 'utc': {
      const wall = dateTimeIso(text);
      return wall === null ? null : zonedToUtc(wall, format === 'utc' ? 'UTC' : zone);
    }
    case 'iso8601':
      return utc(isoInstant(text));
    case 'epoch-s':
      return utc(epoch(text, 's'));
    case 'epoch-ms':
      return utc(epoch(text, 'ms'));
    case 'epoch-us':
      return utc(epoch(text, 'us'));
    case 'cisco':
      return ciscoToUtc(text, zones);
  }
}

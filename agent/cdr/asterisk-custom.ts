/**
 * Asterisk cdr_custom (cdr-formats.md §2.7): free-form columns. `mapping` is the line from cdr_custom.conf
 * (`${CSV_QUOTE(${CDR(clid)})},…`, its `${CDR(name…)}` variables in order) or a list of column names; the
 * default is the shipped sample mapping. Columns then read as in cdr_csv.
 */
import { z } from 'zod';
import { asteriskCall } from './asterisk.js';
import { CsvSyntaxError, splitCsv } from './csv.js';
import type { CdrFormat } from './format.js';
import { Columns } from './positions.js';
import { lineReader } from './reader.js';
import { templateColumns } from './template.js';

/** configs/samples/cdr_custom.conf.sample, `Master.csv =>` line. */
const SAMPLE_MAPPING = [
  'clid', 'src', 'dst', 'dcontext', 'channel', 'dstchannel', 'lastapp', 'lastdata', 'start', 'answer', 'end',
  'duration', 'billsec', 'disposition', 'amaflags', 'accountcode', 'uniqueid', 'userfield', 'sequence',
];

const Options = z
  .strictObject({
    mapping: z
      .union([
        z.string().refine((t) => t.includes('CDR('), 'must hold ${CDR(name)} variables, as in cdr_custom.conf'),
        z.array(z.string()).min(1),
      ])
      .default(SAMPLE_MAPPING),
    separator: z.string().length(1).default(','),
    usegmtime: z.boolean().default(false),
    userfieldIsPeerIp: z.boolean().default(false),
  })
  .transform((o) => {
    const names = typeof o.mapping === 'string' ? templateColumns(o.mapping, o.separator, 'CDR(') : o.mapping;
    return { ...o, columns: new Columns(names) };
  });

export const asteriskCustom: CdrFormat = {
  name: 'asterisk-custom',
  framing: 'line',
  options: Options,
  parseLine: lineReader('asterisk-custom', Options, (text, o, ctx) => {
    const f = splitCsv(text, { separator: o.separator });
    if (f instanceof CsvSyntaxError) return f.message;
    const need = o.columns.names.length;
    if (f.length < need) return `record has ${f.length} fields, the mapping has ${need}`;
    return asteriskCall(f, o, ctx.zone);
  }),
};

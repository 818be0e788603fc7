/**
 * FreeSWITCH mod_cdr_csv (cdr-formats.md §2.8): one row per leg, columns from the configured template.
 * `template` is the template text from cdr_csv.conf.xml (`"${caller_id_number}","${start_epoch}",…`) or a list of
 * variable names; the default is the vanilla `example` template. For traceback, template `${start_epoch}`,
 * `${sip_network_ip}`, `${sofia_profile_name}`, `${sip_call_id}`: without them the time is server-local and
 * there is no ingress.
 */
import { z } from 'zod';
import { CsvSyntaxError, splitCsv } from './csv.js';
import type { CdrFormat } from './format.js';
import { freeswitchCall } from './freeswitch.js';
import { Columns } from './positions.js';
import { lineReader } from './reader.js';
import { templateColumns } from './template.js';

/** The `example` template of conf/vanilla/autoload_configs/cdr_csv.conf.xml. */
const EXAMPLE_TEMPLATE = [
  'caller_id_name', 'caller_id_number', 'destination_number', 'context', 'start_stamp', 'answer_stamp',
  'end_stamp', 'duration', 'billsec', 'hangup_cause', 'uuid', 'bleg_uuid', 'accountcode', 'read_codec',
  'write_codec',
];

const Options = z
  .strictObject({
    template: z
      .union([
        z.string().refine((t) => t.includes('${'), 'must hold ${variable} columns, as in cdr_csv.conf.xml'),
        z.array(z.string()).min(1),
      ])
      .default(EXAMPLE_TEMPLATE),
  })
  .transform((o) => ({
    columns: new Columns(typeof o.template === 'string' ? templateColumns(o.template, ',', '${') : o.template),
  }));

export const freeswitchCsv: CdrFormat = {
  name: 'freeswitch-csv',
  framing: 'line',
  options: Options,
  parseLine: lineReader('freeswitch-csv', Options, (text, o, ctx) => {
    const f = splitCsv(text, { separator: ',' });
    if (f instanceof CsvSyntaxError) return f.message;
    const c = o.columns;
    if (f.length < c.names.length) return `record has ${f.length} fields, the template has ${c.names.length}`;
    return freeswitchCall({ get: (name) => c.get(f, name), label: (name) => c.label(name) }, ctx.zone);
  }),
};

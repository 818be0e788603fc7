/**
 * Asterisk cdr_csv `Master.csv` (cdr-formats.md §2.7). Sixteen fixed columns, then the optional ones in the
 * order cdr_csv.c appends them: uniqueid (`loguniqueid`), userfield (`loguserfield`), peeraccount, linkedid,
 * sequence (`newcdrcolumns`); the options carry the same names as `cdr.conf [csv]`. Times are server-local unless
 * `usegmtime`. Every row is a record: enable `unanswered` and `congestion` in cdr.conf or failed calls are missing.
 * The named-column reading is shared with cdr_custom (asterisk-custom.ts).
 */
import { z } from 'zod';
import { peer, type CallFields } from './assemble.js';
import { CsvSyntaxError, splitCsv, type CsvRow } from './csv.js';
import type { CdrFormat } from './format.js';
import { Columns } from './positions.js';
import { lineReader } from './reader.js';
import { zonedToUtc } from './time.js';
import { dateTimeIso, epoch } from './time-syntax.js';

const BASE = [
  'accountcode', 'src', 'dst', 'dcontext', 'clid', 'channel', 'dstchannel', 'lastapp', 'lastdata',
  'start', 'answer', 'end', 'duration', 'billsec', 'disposition', 'amaflags',
] as const;

const Options = z
  .strictObject({
    loguniqueid: z.boolean().default(false),
    loguserfield: z.boolean().default(false),
    newcdrcolumns: z.boolean().default(false),
    usegmtime: z.boolean().default(false),
    /** The dialplan stores the peer address in userfield (`Set(CDR(userfield)=${CHANNEL(pjsip,remote_addr)})`). */
    userfieldIsPeerIp: z.boolean().default(false),
  })
  .transform((o) => {
    const columns: string[] = [...BASE];
    if (o.loguniqueid) columns.push('uniqueid');
    if (o.loguserfield) columns.push('userfield');
    if (o.newcdrcolumns) columns.push('peeraccount', 'linkedid', 'sequence');
    return { ...o, columns: new Columns(columns) };
  });

export interface AsteriskSettings {
  columns: Columns;
  usegmtime: boolean;
  userfieldIsPeerIp: boolean;
}

/** One cdr_csv/cdr_custom row, its columns named as Asterisk names CDR variables. */
export function asteriskCall(f: CsvRow, s: AsteriskSettings, zone: string): CallFields | string {
  const c = s.columns;
  for (const required of ['dst', 'start'] as const) {
    if (!c.has(required)) return `the column list has no "${required}" column`;
  }
  const start = c.get(f, 'start');
  const time = startTime(start, s.usegmtime ? 'UTC' : zone);
  if (time === null) return `${c.label('start')}: "${start}" is not YYYY-MM-DD HH:MM:SS or epoch seconds`;
  if (typeof time === 'string') return `${c.label('start')}: ${time}`;
  const src = c.get(f, 'src');
  const linkedid = c.get(f, 'linkedid');
  return {
    // src is the caller ID number; clid ("Name" <number>) only when src is empty.
    calling: src !== '' ? src : c.get(f, 'clid'),
    called: c.get(f, 'dst'),
    calledLabel: c.label('dst'),
    time,
    ingress: {
      trunkGroup: channelPeer(c.get(f, 'channel')),
      ...(s.userfieldIsPeerIp ? peer(c.get(f, 'userfield')) : {}),
    },
    callId: linkedid !== '' ? linkedid : c.get(f, 'uniqueid'),
  };
}

/** cdr_custom may log `${CDR(start,u)}` (epoch seconds with µs); cdr_csv logs local `YYYY-MM-DD HH:MM:SS`. */
function startTime(text: string, zone: string): { at: number; atAlt?: number } | string | null {
  const c = text.charCodeAt(0);
  if (text.length >= 9 && text.indexOf('-') < 0 && c >= 48 && c <= 57) {
    const at = epoch(text, 's');
    return at === null ? null : { at };
  }
  const wall = dateTimeIso(text);
  return wall === null ? null : zonedToUtc(wall, zone);
}

/**
 * The channel without its per-call suffix: `PJSIP/carrier-a-00000007` → `PJSIP/carrier-a`,
 * `Local/200@from-internal-0000001c;1` → `Local/200@from-internal`. The endpoint is the ingress.
 */
export function channelPeer(channel: string): string {
  let name = channel;
  const semi = name.lastIndexOf(';');
  if (semi > 0) name = name.slice(0, semi);
  const dash = name.lastIndexOf('-');
  const slash = name.indexOf('/');
  if (dash <= slash || dash === name.length - 1) return name;
  let decimal = true;
  for (let i = dash + 1; i < name.length; i++) {
    const ch = name.charCodeAt(i) | 0x20;
    const digit = ch >= 48 && ch <= 57;
    if (!digit && !(ch >= 97 && ch <= 102)) return name;
    decimal &&= digit;
  }
  // SIP/PJSIP/Local suffixes are 8 hex digits, DAHDI's a decimal instance: `PJSIP/carrier-a` has none.
  return decimal || name.length - dash - 1 === 8 ? name.slice(0, dash) : name;
}

export const asterisk: CdrFormat = {
  name: 'asterisk',
  framing: 'line',
  options: Options,
  parseLine: lineReader('asterisk', Options, (text, o, ctx) => {
    const f = splitCsv(text, { separator: ',' });
    if (f instanceof CsvSyntaxError) return f.message;
    const need = o.columns.names.length;
    if (f.length < need) return `record has ${f.length} fields, expected ${need} (check loguniqueid, loguserfield, newcdrcolumns)`;
    return asteriskCall(f, o, ctx.zone);
  }),
};

/**
 * Kamailio / OpenSIPS `acc` records (cdr-formats.md §2.9), one per transaction; the INVITE row is the call
 * (missed_calls rows have the same shape and are kept: one per failed branch). Two forms:
 * - syslog: `… ACC: transaction answered: timestamp=…;method=INVITE;…;call_id=…;src_user=…` (other syslog
 *   lines are skipped);
 * - db_flatstore: `|`-separated `acc_*.log` / `missed_calls_*.log` rows, columns as configured.
 * Caller, callee and source IP exist only as configured extras (`src_user=$fU`, `dst_ouser=$tU`, `src_ip=$si`):
 * the options name them. `timeMode` is acc's time_mode: epochs are UTC; a DATETIME text is server-local
 * (modes 0, 3) or UTC (mode 4), read with the default time_format `%Y-%m-%d %H:%M:%S`.
 */
import { z } from 'zod';
import { peer } from './assemble.js';
import type { CdrFormat } from './format.js';
import { lineReader } from './reader.js';
import { zonedToUtc, type UtcTime } from './time.js';
import { dateTimeIso, epoch } from './time-syntax.js';

/** acc table columns, then the WITH_ACCDB extras of the default kamailio.cfg, in db_extra order. */
const FLATSTORE_COLUMNS = [
  'method', 'from_tag', 'to_tag', 'callid', 'sip_code', 'sip_reason', 'time',
  'src_user', 'src_domain', 'src_ip', 'dst_ouser', 'dst_user', 'dst_domain',
];

const Extra = z.string().min(1);

const Options = z.strictObject({
  form: z.enum(['syslog', 'flatstore']).default('syslog'),
  columns: z.array(Extra).min(1).default(FLATSTORE_COLUMNS),
  timeMode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).default(0),
  /** time_mode 1 logs microseconds in this extra (acc's `time_exten`). */
  timeExten: Extra.default('microsecs'),
  calling: Extra.default('src_user'),
  /** The first with a value: the To user as dialled, then the Request-URI user. */
  called: z.array(Extra).min(1).default(['dst_ouser', 'dst_user']),
  ip: Extra.default('src_ip'),
  /** An extra holding a trunk or dispatcher id, e.g. `trunk=$avp(trunk)`. */
  trunkGroup: Extra.optional(),
  methods: z
    .array(Extra)
    .min(1)
    .default(['INVITE'])
    .transform((ms) => ms.map((m) => m.toUpperCase())),
});

type Settings = z.output<typeof Options>;

const ACC = 'ACC: ';

export const kamailio: CdrFormat = {
  name: 'kamailio',
  framing: 'line',
  options: Options,
  parseLine: lineReader('kamailio', Options, (text, o, ctx) => {
    const values = o.form === 'syslog' ? syslogValues(text) : flatstoreValues(text, o.columns);
    if (values === null) return null;
    if (typeof values === 'string') return values;
    const method = values.get('method') ?? '';
    if (!isMethod(method)) return `method: "${method}" is not a SIP method`;
    if (!o.methods.includes(method)) return null;
    const time = acctime(values, o, ctx.zone);
    if (typeof time === 'string') return time;
    const calledKey = firstWithValue(values, o.called);
    return {
      calling: values.get(o.calling) ?? '',
      called: values.get(calledKey) ?? '',
      calledLabel: calledKey,
      time,
      ingress: { peer: values.get(o.ip) ?? '', trunkGroup: o.trunkGroup === undefined ? '' : values.get(o.trunkGroup) },
      callId: values.get('callid') || values.get('call_id'),
    };
  }),
};

/** The values of one acc record by name; undefined for a name it does not have. */
interface Values {
  get(name: string): string | undefined;
}

/**
 * The `key=value;…` list after `ACC: <label>: `, or null for any other syslog line. Only the bounds of each pair
 * are kept: a record has 15 or more pairs and a format asks for six of them, so no key or unread value is cut.
 */
function syslogValues(line: string): Values | null {
  const acc = line.indexOf(ACC);
  if (acc < 0) return null;
  const colon = line.indexOf(': ', acc + ACC.length);
  return new SyslogValues(line, colon < 0 ? acc + ACC.length : colon + 2);
}

class SyslogValues implements Values {
  /** key start, key end (trimmed), value start, value end per pair. */
  private readonly bounds: number[] = [];

  constructor(
    private readonly line: string,
    from: number,
  ) {
    while (from < line.length) {
      let end = line.indexOf(';', from);
      if (end < 0) end = line.length;
      const eq = line.indexOf('=', from);
      if (eq > from && eq < end) {
        let ks = from;
        let ke = eq;
        while (ks < ke && line.charCodeAt(ks) <= 32) ks++;
        while (ke > ks && line.charCodeAt(ke - 1) <= 32) ke--;
        this.bounds.push(ks, ke, eq + 1, end);
      }
      from = end + 1;
    }
  }

  get(name: string): string | undefined {
    const { bounds, line } = this;
    // The last of repeated keys wins, as it did when the pairs were read into a Map.
    for (let i = bounds.length - 4; i >= 0; i -= 4) {
      const ks = bounds[i] as number;
      if ((bounds[i + 1] as number) - ks === name.length && line.startsWith(name, ks)) return line.slice(bounds[i + 2], bounds[i + 3]);
    }
    return undefined;
  }
}

function flatstoreValues(line: string, columns: readonly string[]): Values | string {
  const fields = line.split('|');
  if (fields.length < columns.length) return `record has ${fields.length} fields, the column list has ${columns.length}`;
  const values = new Map<string, string>();
  for (let i = 0; i < columns.length && i < fields.length; i++) values.set(columns[i] ?? '', fields[i] ?? '');
  return values;
}

/** RFC 3261 methods are upper-case tokens. */
function isMethod(m: string): boolean {
  if (m === '') return false;
  for (let i = 0; i < m.length; i++) {
    const c = m.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return true;
}

function firstWithValue(values: Values, keys: readonly string[]): string {
  for (const k of keys) if (values.get(k)) return k;
  return keys[0] ?? '';
}

function acctime(values: Values, o: Settings, zone: string): UtcTime | string {
  const key = values.get('timestamp') ? 'timestamp' : 'time';
  const text = values.get(key) ?? '';
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57 && text.indexOf('-') < 0) {
    // Epochs: time_mode 0 (seconds), 2 (sec.ms); mode 1 adds microseconds in a second extra.
    let at = epoch(text, 's');
    if (at === null) return `${key}: "${text}" is not epoch seconds`;
    if (o.timeMode === 1) {
      const micros = Number(values.get(o.timeExten));
      if (Number.isInteger(micros) && micros > 0 && micros < 1_000_000) at += Math.floor(micros / 1000);
    }
    return { at };
  }
  const wall = dateTimeIso(text);
  if (wall === null) return `${key}: "${text}" is not epoch seconds or YYYY-MM-DD HH:MM:SS`;
  const utc = zonedToUtc(wall, o.timeMode === 4 ? 'UTC' : zone);
  return typeof utc === 'string' ? `${key}: ${utc}` : utc;
}

/**
 * Oracle (Acme Packet) SBC local CDR CSV (cdr-formats.md §2.2): RADIUS accounting attributes flattened to
 * CSV. Only Stop rows (Acct-Status-Type 2) are kept: they are written for failed calls too. Default positions
 * are S-C6.4.0's; `dump_csv_format` on the SBC gives the layout of other releases. Quirks handled: inconsistent
 * quoting with unescaped quotes inside quoted fields (a lenient re-read of that line), 269-field rows with an
 * undocumented block inserted after field 115, zone abbreviations in the h323 times.
 */
import { z } from 'zod';
import { peer } from './assemble.js';
import { CsvSyntaxError, firstField, splitCsv } from './csv.js';
import type { CdrFormat } from './format.js';
import { field, highest, label, Position, tooShort } from './positions.js';
import { lineReader } from './reader.js';
import { ZoneAbbreviations } from './options.js';
import { ciscoToUtc } from './time-syntax.js';

const Layout = z.strictObject({
  /** Acme-Session-Ingress-CallId: the SIP Call-ID received. */
  callId: Position.default(5),
  /** Calling-Station-Id: often the whole From header. */
  calling: Position.default(10),
  /** Called-Station-Id: the Request-URI user, with `;npdi;rn=` when the SBC dipped LNP. */
  called: Position.default(11),
  setupTime: Position.default(14),
  /** Acme-Session-Ingress-Realm. */
  realm: Position.default(23),
  /** Acme-Originating-Trunk-Group. */
  trunkGroup: Position.default(122),
  /** Acme-P-Asserted-ID: the caller when From is withheld. */
  pai: Position.default(126),
  /** Acme-Ingress-Remote-Addr: the signalling peer (not field 27, which is a media address). */
  peerIp: Position.default(128),
});

const Options = z
  .strictObject({
    positions: Layout.prefault({}),
    /** 269-field Stop rows: 94 extra fields after 115 (seen in S-CX6.4.0 output; Freeside drops them too). */
    insertedBlock: z
      .strictObject({ after: Position, length: Position, whenFields: Position })
      .nullable()
      .default({ after: 115, length: 94, whenFields: 269 }),
    zones: ZoneAbbreviations,
  })
  .transform((o) => ({ ...o, need: highest(o.positions) }));

/** Acct-Status-Type, always the first column. */
const STOP = '2';

export const acme: CdrFormat = {
  name: 'acme',
  framing: 'line',
  options: Options,
  parseLine: lineReader('acme', Options, (text, o) => {
    const type = unquote(firstField(text, ','));
    if (type !== STOP) {
      if (isDigits(type)) return null; // Start, Interim, Accounting-On/Off
      return `${label(1, 'Acct-Status-Type')}: "${type}" is not a RADIUS Acct-Status-Type`;
    }
    let f = splitCsv(text, { separator: ',' });
    if (f instanceof CsvSyntaxError) f = splitCsv(text, { separator: ',', lenient: true });
    if (f instanceof CsvSyntaxError) return f.message;

    const b = o.insertedBlock !== null && f.length === o.insertedBlock.whenFields ? o.insertedBlock : null;
    const need = at(o.need, b);
    if (f.length < need) return `Stop ${tooShort(f.length, need)}`;

    const p = o.positions;
    const setup = field(f, at(p.setupTime, b));
    const time = ciscoToUtc(setup, o.zones);
    if (typeof time === 'string') return `${label(at(p.setupTime, b), 'h323-setup-time')}: ${time}`;
    return {
      calling: field(f, at(p.calling, b)),
      pai: field(f, at(p.pai, b)),
      called: field(f, at(p.called, b)),
      calledLabel: label(at(p.called, b), 'Called-Station-Id'),
      time,
      ingress: {
        realm: field(f, at(p.realm, b)),
        trunkGroup: field(f, at(p.trunkGroup, b)),
        ...peer(field(f, at(p.peerIp, b))),
      },
      callId: field(f, at(p.callId, b)),
    };
  }),
};

/** A position of the layout in a row that carries the inserted block. */
function at(pos: number, block: { after: number; length: number } | null): number {
  return block !== null && pos > block.after ? pos + block.length : pos;
}

function unquote(s: string): string {
  return s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34 ? s.slice(1, -1) : s;
}

function isDigits(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

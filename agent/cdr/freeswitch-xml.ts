/**
 * FreeSWITCH mod_xml_cdr (cdr-formats.md §2.8): one `<cdr>` document per leg, kept for inbound legs only.
 * `<variables>` values are URL-encoded (`2014-12-23%2011%3A10%3A33`); the caller profile of the first callflow
 * (profile_index 1: the call as it arrived, before transfers) gives the numbers as received, unencoded.
 */
import { z } from 'zod';
import type { CdrFormat } from './format.js';
import { freeswitchCall } from './freeswitch.js';
import { documentReader } from './reader.js';
import { xmlRecord } from './xml-paths.js';
import { attrOf, child, textOf, type XmlNode } from './xml.js';

const Options = z.strictObject({});

/** Read from the caller profile when it has them: they are the values before any dialplan rewrite. */
const PROFILE_FIRST: ReadonlySet<string> = new Set(['caller_id_number', 'destination_number', 'network_addr', 'uuid']);

const RECORD = 'cdr';
const PROFILE_INDEX = 'profile_index';

/** What the read below looks at: any variable (freeswitch.ts asks by name), the first caller profile. */
export const freeswitchXmlRecord = xmlRecord(RECORD, [
  'variables/*',
  'channel_data/direction',
  `callflow@${PROFILE_INDEX}`,
  ...[...PROFILE_FIRST].map((name) => `callflow/caller_profile/${name}`),
]);

export const freeswitchXml: CdrFormat = {
  name: 'freeswitch-xml',
  framing: 'xml-document',
  options: Options,
  parseDocument: documentReader('freeswitch-xml', Options, freeswitchXmlRecord, (cdr, _o, ctx) => {
    const variables = child(cdr, 'variables');
    const profile = child(firstCallflow(cdr), 'caller_profile');
    const fromProfile = (name: string): string => (PROFILE_FIRST.has(name) ? textOf(child(profile, name)) : '');
    return freeswitchCall(
      {
        get: (name) => {
          if (name === 'direction') return urlDecode(textOf(child(variables, name))) || textOf(child(cdr, 'channel_data', name));
          return fromProfile(name) || urlDecode(textOf(child(variables, name)));
        },
        label: (name) => (fromProfile(name) !== '' ? `callflow/caller_profile/${name}` : `variables/${name}`),
      },
      ctx.zone,
    );
  }),
};

function firstCallflow(cdr: unknown): unknown {
  const flows = cdr !== null && typeof cdr === 'object' ? (cdr as XmlNode)['callflow'] : undefined;
  if (!Array.isArray(flows)) return flows;
  return flows.find((f) => attrOf(f, PROFILE_INDEX) === '1') ?? flows[flows.length - 1];
}

/** Percent-decoding to UTF-8 that never throws (decodeURIComponent does on a stray `%` or latin1 bytes). */
function urlDecode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const cp = s.codePointAt(i) ?? c;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function isHex(c: number): boolean {
  const l = c | 0x20;
  return (c >= 48 && c <= 57) || (l >= 97 && l <= 102);
}

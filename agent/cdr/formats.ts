/**
 * Every CDR format by name (`--cdr FORMAT:DIR`, the `cdr:<name>` source). Adding a format is adding its file
 * and one line here.
 */
import { acme } from './acme.js';
import { asterisk } from './asterisk.js';
import { asteriskCustom } from './asterisk-custom.js';
import { broadworksCsv } from './broadworks-csv.js';
import { broadworksXml } from './broadworks-xml.js';
import type { CdrFormat } from './format.js';
import { freeswitchCsv } from './freeswitch-csv.js';
import { freeswitchXml } from './freeswitch-xml.js';
import { generic } from './generic.js';
import { kamailio } from './kamailio.js';
import { metaswitch } from './metaswitch.js';
import { ribbon } from './ribbon.js';
import { sansay } from './sansay.js';

export const CDR_FORMATS: ReadonlyMap<string, CdrFormat> = new Map(
  [
    ribbon,
    acme,
    broadworksCsv,
    broadworksXml,
    metaswitch,
    sansay,
    asterisk,
    asteriskCustom,
    freeswitchCsv,
    freeswitchXml,
    kamailio,
    generic,
  ].map((f) => [f.name, f]),
);

export function cdrFormat(name: string): CdrFormat | undefined {
  return CDR_FORMATS.get(name);
}

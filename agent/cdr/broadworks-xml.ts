/**
 * BroadWorks XML CDRs (`<broadWorksCDR version="19.0">`, cdr-formats.md §2.3): one `<cdrData>` per record with
 * headerModule, basicModule, centrexModule and ipModule. A file may be given whole or one `<cdrData>` at a time.
 */
import { z } from 'zod';
import { StartTimeIs, broadworksCall } from './broadworks.js';
import type { CdrFormat } from './format.js';
import { documentReader } from './reader.js';
import { xmlFields } from './xml-paths.js';

const Options = z.strictObject({ startTimeIs: StartTimeIs });

const RECORD = 'cdrData';

/** What the format reads of a cdrData: only these are built or read. */
export const broadworksXmlFields = xmlFields(RECORD, {
  type: 'headerModule/type',
  direction: 'basicModule/direction',
  calling: 'basicModule/callingNumber',
  presentation: 'basicModule/callingPresentationIndicator',
  called: 'basicModule/calledNumber',
  startTime: 'basicModule/startTime',
  userTimeZone: 'basicModule/userTimeZone',
  route: 'ipModule/route',
  networkCallId: 'ipModule/networkCallID',
  accessDevice: 'ipModule/accessDeviceAddress',
  trunkGroupName: 'centrexModule/trunkGroupName',
});

export const broadworksXml: CdrFormat = {
  name: 'broadworks-xml',
  framing: 'xml-record',
  recordElement: RECORD,
  options: Options,
  parseDocument: documentReader('broadworks-xml', Options, broadworksXmlFields, (fields, o) =>
    broadworksCall(
      fields,
      // Errors name the field by its path: basicModule/startTime.
      broadworksXmlFields.path,
      o.startTimeIs,
    ),
  ),
};

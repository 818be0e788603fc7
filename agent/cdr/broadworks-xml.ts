/**
 * BroadWorks XML CDRs (`<broadWorksCDR version="19.0">`, cdr-formats.md §2.3): one `<cdrData>` per record with
 * headerModule, basicModule, centrexModule and ipModule. A file may be given whole or one `<cdrData>` at a time.
 */
import { z } from 'zod';
import { StartTimeIs, broadworksCall } from './broadworks.js';
import type { CdrFormat } from './format.js';
import { documentReader } from './reader.js';
import { child, textOf } from './xml.js';

const Options = z.strictObject({ startTimeIs: StartTimeIs });

const RECORD = 'cdrData';

export const broadworksXml: CdrFormat = {
  name: 'broadworks-xml',
  framing: 'xml-record',
  recordElement: RECORD,
  options: Options,
  parseDocument: documentReader('broadworks-xml', Options, RECORD, (cdr, o) => {
    const basic = child(cdr, 'basicModule');
    const ip = child(cdr, 'ipModule');
    return broadworksCall(
      {
        type: textOf(child(cdr, 'headerModule', 'type')),
        direction: textOf(child(basic, 'direction')),
        calling: textOf(child(basic, 'callingNumber')),
        presentation: textOf(child(basic, 'callingPresentationIndicator')),
        called: textOf(child(basic, 'calledNumber')),
        startTime: textOf(child(basic, 'startTime')),
        userTimeZone: textOf(child(basic, 'userTimeZone')),
        route: textOf(child(ip, 'route')),
        networkCallId: textOf(child(ip, 'networkCallID')),
        accessDevice: textOf(child(ip, 'accessDeviceAddress')),
        trunkGroupName: textOf(child(cdr, 'centrexModule', 'trunkGroupName')),
      },
      {
        called: 'basicModule/calledNumber',
        startTime: 'basicModule/startTime',
        userTimeZone: 'basicModule/userTimeZone',
      },
      o.startTimeIs,
    );
  }),
};

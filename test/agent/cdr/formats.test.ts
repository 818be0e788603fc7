import { describe, expect, it } from 'vitest';
import { CallSource } from '../../../proto/messages.js';
import { CDR_FORMATS, cdrFormat } from '../../../agent/cdr/formats.js';

describe('the format registry', () => {
  it('names every format by the name its records carry as cdr:<name>', () => {
    expect([...CDR_FORMATS.keys()]).toEqual([
      'ribbon', 'acme', 'broadworks-csv', 'broadworks-xml', 'metaswitch', 'sansay',
      'asterisk', 'asterisk-custom', 'freeswitch-csv', 'freeswitch-xml', 'kamailio', 'generic',
    ]);
    for (const [name, format] of CDR_FORMATS) {
      expect(format.name).toBe(name);
      expect(CallSource.safeParse(`cdr:${name}`).success).toBe(true);
    }
    expect(cdrFormat('ribbon')?.name).toBe('ribbon');
    expect(cdrFormat('nortel')).toBeUndefined();
  });

  it('gives each format the parser its framing needs', () => {
    for (const format of CDR_FORMATS.values()) {
      if (format.framing === 'line') expect(format.parseLine, format.name).toBeTypeOf('function');
      else expect(format.parseDocument, format.name).toBeTypeOf('function');
      if (format.framing === 'xml-record') expect(format.recordElement, format.name).toBeTypeOf('string');
    }
  });

  it('lets configuration be checked before the first line: defaults are valid, typos are not', () => {
    for (const format of CDR_FORMATS.values()) {
      if (format.name === 'generic') continue; // its column map has no default
      expect(format.options.safeParse({}).success, format.name).toBe(true);
      expect(format.options.safeParse({ nonsense: 1 }).success, format.name).toBe(false);
    }
  });
});

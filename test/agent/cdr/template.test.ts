import { describe, expect, it } from 'vitest';
import { templateColumns } from '../../../agent/cdr/template.js';

describe('templateColumns', () => {
  it('names FreeSWITCH template columns, literal columns as ""', () => {
    expect(templateColumns('"${caller_id_number}","x","${start_epoch}",${uuid}', ',', '${')).toEqual(['caller_id_number', '', 'start_epoch', 'uuid']);
  });

  it('names cdr_custom columns, not splitting inside ${…} (start,u)', () => {
    expect(templateColumns('${CSV_QUOTE(${CDR(clid)})},${CDR(start,u)};x', ',', 'CDR(')).toEqual(['clid', 'start']);
    expect(templateColumns('${CDR(src)};${CDR(start,u)}', ';', 'CDR(')).toEqual(['src', 'start']);
  });
});

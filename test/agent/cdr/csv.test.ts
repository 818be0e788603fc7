import { describe, expect, it } from 'vitest';
import { CsvRow, CsvSyntaxError, firstField, lineText, splitCsv, utf8Text, type CsvDialect } from '../../../agent/cdr/csv.js';

const comma: CsvDialect = { separator: ',' };

describe('splitCsv', () => {
  it.each([
    ['plain fields', 'a,b,c', comma, ['a', 'b', 'c']],
    ['empty unquoted fields, leading and trailing', ',a,,b,', comma, ['', 'a', '', 'b', '']],
    ['an empty line is one empty field', '', comma, ['']],
    ['a quoted field with embedded commas (Ribbon sub-fields)', 'STOP,"SIP,abc@192.0.2.1,,",x', comma, ['STOP', 'SIP,abc@192.0.2.1,,', 'x']],
    ['"" escapes inside quotes (Asterisk clid)', '"""Caller"" <3125550117>",1', comma, ['"Caller" <3125550117>', '1']],
    ['an empty quoted field', '"",a', comma, ['', 'a']],
    ['a quoted field last, then a trailing separator', 'a,"b",', comma, ['a', 'b', '']],
    ['a quote inside an unquoted field is text', 'ab"c,d', comma, ['ab"c', 'd']],
    ['a UTF-8 BOM read as latin1 is dropped', '\u00ef\u00bb\u00bfa,b', comma, ['a', 'b']],
    ['a decoded BOM is dropped', '\ufeffa,b', comma, ['a', 'b']],
    ['a CR left by CRLF is dropped', 'a,"b"\r', comma, ['a', 'b']],
    ['; separator (Sansay)', '000000101;V1.10;R;;x', { separator: ';' }, ['000000101', 'V1.10', 'R', '', 'x']],
    ['| separator (db_flatstore)', 'INVITE|2daec40c||200', { separator: '|' }, ['INVITE', '2daec40c', '', '200']],
    ['maxFields stops early, unquoted', 'a,b,c,d', { separator: ',', maxFields: 2 }, ['a', 'b']],
    ['maxFields stops early, quoted', '"a,1","b,2","c"', { separator: ',', maxFields: 2 }, ['a,1', 'b,2']],
    ['lenient: unescaped quotes inside a quoted field (Acme)', `"'Bob "The" Smith'<sip:1@192.0.2.1>",2`, { separator: ',', lenient: true }, [`'Bob "The" Smith'<sip:1@192.0.2.1>`, '2']],
    ['lenient: an unterminated quote runs to the end', 'a,"b,c', { separator: ',', lenient: true }, ['a', 'b,c']],
    ['latin1 bytes pass through', 'Jos\u00e9,1', comma, ['Jos\u00e9', '1']],
    // Code units are compared whole: U+012C and U+0122 share their low byte with ',' and '"'.
    ['wide chars are never separators or quotes', '\u012c\u0122x,\u2c22', comma, ['\u012c\u0122x', '\u2c22']],
  ] as const)('%s', (_name, line, dialect, fields) => {
    const row = splitCsv(line, dialect);
    expect(row instanceof CsvRow ? row.toArray() : row).toEqual(fields);
  });

  it('reads lines longer than its reused buffer, and a short line after one is not mixed with it', () => {
    const fields = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `"q,${i}"` : `f${i}`));
    const row = splitCsv(fields.join(','), comma);
    expect(row instanceof CsvRow ? row.toArray() : row).toEqual(fields.map((f, i) => (i % 7 === 0 ? `q,${i}` : f)));
    const short = splitCsv('a,b', comma);
    expect(short instanceof CsvRow ? short.toArray() : short).toEqual(['a', 'b']);
  });

  it.each([
    ['a stray quote after a quoted field', '"ab"c,d', 1, 'unescaped quote inside a quoted field at column 4'],
    ['an unterminated quoted field', 'a,"b,c', 2, 'unterminated quoted field starting at column 3'],
  ])('strict mode reports %s with the field number, never throws', (_name, line, fieldNo, reason) => {
    const r = splitCsv(line, comma);
    expect(r).toBeInstanceOf(CsvSyntaxError);
    expect(r).toMatchObject({ field: fieldNo, reason });
  });
});

describe('line helpers', () => {
  it('reads bytes as latin1 so any byte sequence becomes text', () => {
    expect(lineText(Buffer.from([0x4a, 0xe9, 0xff, 0x2c, 0x31]))).toBe('J\u00e9\u00ff,1');
  });

  it('re-reads latin1 text as UTF-8 only when it is valid UTF-8', () => {
    expect(utf8Text(Buffer.from('Zürich', 'utf8').toString('latin1'))).toBe('Zürich');
    expect(utf8Text('Jos\u00e9')).toBe('Jos\u00e9');
    expect(utf8Text('plain')).toBe('plain');
  });

  it('takes the first field without tokenizing the line, BOM dropped', () => {
    expect(firstField('\u00ef\u00bb\u00bfSTOP,a,b', ',')).toBe('STOP');
    expect(firstField('START', ',')).toBe('START');
  });
});

import { describe, expect, it } from 'vitest';
import { parseParams, quotedEnd, splitList, trimWsp } from '../../../agent/sip/syntax.js';

describe('splitList', () => {
  it.each([
    ['<sip:a@x>', ['<sip:a@x>']],
    [' <sip:a@x> , <tel:+1> ', ['<sip:a@x>', '<tel:+1>']],
    ['"Doe, John" <sip:a@x>, <tel:+1>', ['"Doe, John" <sip:a@x>', '<tel:+1>']],
    ['"say \\"a,b\\"" <sip:a@x>,<sip:b@x>', ['"say \\"a,b\\"" <sip:a@x>', '<sip:b@x>']],
    ['<sip:a@x;p=1,2>;q=1, <sip:b@x>', ['<sip:a@x;p=1,2>;q=1', '<sip:b@x>']],
    ['a,,b,', ['a', '', 'b', '']],
    ['"unterminated, quote', ['"unterminated, quote']],
    ['<unclosed, angle', ['<unclosed, angle']],
  ])('splits %j', (value, expected) => {
    expect(splitList(value)).toEqual(expected);
  });
});

describe('parseParams', () => {
  it('reads names lower-cased, values as written, LWS around ; and =', () => {
    expect([...(parseParams(' ; Tag = a1 ;lr; x="q;\\"uoted" ;;', 0) ?? [])]).toEqual([['tag', 'a1'], ['lr', null], ['x', '"q;\\"uoted"']]);
  });

  it('rejects text that is not parameters', () => {
    expect(parseParams('junk;tag=1', 0)).toBeUndefined();
    expect(parseParams(';x="open', 0)).toBeUndefined();
    expect(parseParams(';=value', 0)).toBeUndefined();
  });
});

describe('quotedEnd and trimWsp', () => {
  it('finds the closing quote past escaped quotes and backslashes', () => {
    expect(quotedEnd('"a\\"b\\\\" rest', 0)).toBe(8);
    expect(quotedEnd('"never closed\\"', 0)).toBe(-1);
  });

  it('trims SP and HTAB only, never the latin1 byte A0 that ends UTF-8 "à"', () => {
    const a = Buffer.from('voilà', 'utf8').toString('latin1');
    expect(trimWsp(` \t${a}\t `)).toBe(a);
  });
});

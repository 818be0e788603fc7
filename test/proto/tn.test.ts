import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEmergency, nanpProblem, normalise, toE164, type Tn, type TrunkRules, type Validity } from '../../proto/tn.js';

interface Row {
  raw: string;
  rules?: TrunkRules;
  e164: string | null;
  validity: Validity;
  anonymous?: boolean;
  lrn?: string;
  npdi?: boolean;
  ext?: string;
}

function expected(row: Row): Tn {
  const tn: Tn = { e164: row.e164, raw: row.raw, anonymous: row.anonymous ?? false, validity: row.validity };
  if (row.lrn !== undefined) tn.lrn = row.lrn;
  if (row.npdi !== undefined) tn.npdi = row.npdi;
  if (row.ext !== undefined) tn.ext = row.ext;
  return tn;
}

const check = (row: Row): void => {
  expect(normalise(row.raw, row.rules)).toStrictEqual(expected(row));
};

// 555-0100…0199 are the reference's safe test numbers, so the table's numbers come back flagged fictional.
describe('normalise: every row of cdr-formats.md §5', () => {
  it.each<Row>([
    { raw: '2025550143', e164: '+12025550143', validity: 'fictional-555' },
    { raw: '12025550143', e164: '+12025550143', validity: 'fictional-555' },
    { raw: '+1 (202) 555-0143', e164: '+12025550143', validity: 'fictional-555' },
    { raw: "'ACME'<sip:12025550143@192.0.2.4:5060;user=phone>;tag=9a", e164: '+12025550143', validity: 'fictional-555' },
    { raw: 'tel:+1-202-555-0143;ext=12', e164: '+12025550143', validity: 'fictional-555', ext: '12' },
    { raw: 'tel:5550143;phone-context=+1202', e164: '+12025550143', validity: 'fictional-555' },
    {
      raw: 'sip:2025550143;npdi;rn=3125550000@192.0.2.7;user=phone',
      e164: '+12025550143', validity: 'fictional-555', lrn: '+13125550000', npdi: true,
    },
    { raw: '011442079460000', e164: '+442079460000', validity: 'non-nanp' },
    { raw: '0012025550143', rules: { international00: true }, e164: '+12025550143', validity: 'fictional-555' },
    { raw: '5550143', rules: { npa: '202' }, e164: '+12025550143', validity: 'fictional-555' },
    { raw: 'Restricted', e164: null, validity: 'valid', anonymous: true },
    { raw: 'sip:anonymous@anonymous.invalid', e164: null, validity: 'valid', anonymous: true },
    { raw: '1025550143', e164: '+11025550143', validity: 'npa-0-1' },
  ])('$raw → $e164 ($validity)', check);
});

describe('normalise: the shapes SBCs and CDR writers produce', () => {
  it.each<Row & { case: string }>([
    { case: 'folds spaces, tabs and a folded header line', raw: ' +1 202\t555\r\n 0143 ', e164: '+12025550143', validity: 'fictional-555' },
    { case: 'reads an upper-case SIP: scheme', raw: 'SIP:+13125550117@198.51.100.9;user=phone', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'reads sips: in any case', raw: '<SiPs:3125550117@example.com>', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'reads an upper-case TEL: with dots as separators', raw: 'TEL:+1.312.555.0117', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'reads a global tel: with brackets', raw: '<tel:+1(312)555-0117>', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'completes a local tel: from a phone-context with separators', raw: 'tel:555-0117;phone-context=+1-312', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'leaves a local number with a domain phone-context unnormalised', raw: 'tel:5550117;phone-context=example.com', e164: null, validity: 'unnormalised' },
    { case: 'reads phone-context in a SIP user part', raw: 'sip:5550117;phone-context=+1312@192.0.2.1;user=phone', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'keeps an LRN given in E.164 with separators', raw: 'tel:+12025550143;npdi;rn=+1-312-555-0000', e164: '+12025550143', validity: 'fictional-555', lrn: '+13125550000', npdi: true },
    { case: 'keeps an LRN it cannot normalise as given', raw: 'tel:+12025550143;rn=abc', e164: '+12025550143', validity: 'fictional-555', lrn: 'abc' },
    { case: 'reads parameter names in any case', raw: 'tel:+12025550143;EXT=7;NPDI', e164: '+12025550143', validity: 'fictional-555', ext: '7', npdi: true },
    { case: 'ignores parameters it does not keep', raw: 'tel:+12025550143;isub=1234;cic=+10288', e164: '+12025550143', validity: 'fictional-555' },
    { case: 'drops a display name with escaped quotes and <> inside', raw: '"Joe \\"JJ\\" <x@y>" <sip:+13125550117@example.com>;tag=1', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'skips a <...> after an escaped quote in a display name', raw: '"a \\" <sip:+13125550199@x>" <sip:+13125550117@y>', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'reads an Asterisk clid', raw: '"Caller" <3125550117>', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'reads an unquoted display name and spaces inside <>', raw: 'Caller < sip:3125550117@example.com >', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'takes the first of comma-joined header values', raw: '<sip:+13125550117@a.example.com>, <tel:+13125550199>', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'reads a name-addr missing its closing >', raw: '<sip:+13125550117@example.com', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'ignores a password in the user part', raw: 'sip:+13125550117:secret@example.com', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'decodes %2B in a SIP user part', raw: 'sip:%2B13125550117@example.com', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'decodes a bare %2B number', raw: '%2b13125550117', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'decodes only once', raw: '%252B13125550117', e164: null, validity: 'unnormalised' },
    { case: 'keeps a malformed escape as text', raw: '%G213125550117', e164: null, validity: 'unnormalised' },
    { case: 'reads user@host without a scheme', raw: '3125550117@198.51.100.9', e164: '+13125550117', validity: 'fictional-555' },
    { case: 'treats 011 with more than 11 digits as international', raw: '011 44 20 7946 0000', e164: '+442079460000', validity: 'non-nanp' },
    { case: 'leaves 011 with exactly 11 digits unnormalised', raw: '01144207946', e164: null, validity: 'unnormalised' },
    { case: 'treats a 10-digit number starting 011 as national', raw: '0115550143', e164: '+10115550143', validity: 'npa-0-1' },
    { case: 'keeps foreign +44 as is', raw: '+44 20 7946 0000', e164: '+442079460000', validity: 'non-nanp' },
    { case: 'flags a +1 number that is too long', raw: '+120255501434', e164: '+120255501434', validity: 'length' },
    { case: 'flags a +1 number that is too short', raw: '+1202555014', e164: '+1202555014', validity: 'length' },
    { case: 'refuses more than 15 digits as E.164', raw: '+1202555014312345', e164: null, validity: 'unnormalised' },
    { case: 'refuses fewer than 7 digits as E.164', raw: '+120255', e164: null, validity: 'unnormalised' },
    { case: 'refuses country code 0', raw: '+02025550143', e164: null, validity: 'unnormalised' },
    { case: 'refuses 011 running past 15 digits', raw: '0114420794600001234', e164: null, validity: 'unnormalised' },
    { case: 'leaves 00 alone without the trunk rule', raw: '0012025550143', e164: null, validity: 'unnormalised' },
    { case: 'leaves 7 digits alone without a trunk NPA', raw: '5550143', e164: null, validity: 'unnormalised' },
    { case: 'leaves 9 digits unnormalised', raw: '202555014', e164: null, validity: 'unnormalised' },
    { case: 'leaves 11 digits not starting 1 unnormalised', raw: '22025550143', e164: null, validity: 'unnormalised' },
    { case: 'keeps non-numeric junk unnormalised', raw: 'call me maybe', e164: null, validity: 'unnormalised' },
    { case: 'keeps star codes unnormalised', raw: '*672025550143', e164: null, validity: 'unnormalised' },
    { case: 'keeps a SIP URI without a user part unnormalised', raw: 'sip:192.168.100.1;transport=udp', e164: null, validity: 'unnormalised' },
    { case: 'keeps an unknown scheme unnormalised', raw: 'mailto:2025550143@example.com', e164: null, validity: 'unnormalised' },
    { case: 'keeps an unterminated display name unnormalised', raw: '"Joe <sip:+13125550117@example.com>', e164: null, validity: 'unnormalised' },
    { case: 'marks a valid, non-fictional number valid', raw: '+1 312 867 5309', e164: '+13128675309', validity: 'valid' },
    { case: 'marks 555 outside 0100…0199 valid', raw: '3125552368', e164: '+13125552368', validity: 'valid' },
  ])('$case', check);
});

describe('normalise: trunk rules', () => {
  it.each<Row & { case: string }>([
    { case: 'strips a configured letter prefix before +', raw: 'A02+13125550117', rules: { stripPrefixes: ['A02'] }, e164: '+13125550117', validity: 'fictional-555' },
    { case: 'strips a configured prefix in any case', raw: 'a023125550117', rules: { stripPrefixes: ['A02'] }, e164: '+13125550117', validity: 'fictional-555' },
    { case: 'strips a #-terminated prefix from a SIP user part', raw: 'sip:3401%233125550117@192.0.2.1', rules: { stripPrefixes: ['3401#'] }, e164: '+13125550117', validity: 'fictional-555' },
    { case: 'strips the longest configured prefix whatever the order', raw: '3401#3125550117', rules: { stripPrefixes: ['3401', '3401#'] }, e164: '+13125550117', validity: 'fictional-555' },
    { case: 'does not strip an unconfigured prefix', raw: 'A02+13125550117', e164: null, validity: 'unnormalised' },
    { case: 'does not strip a prefix that is not at the start', raw: '3125550117A02', rules: { stripPrefixes: ['A02'] }, e164: null, validity: 'unnormalised' },
    { case: 'completes 7 digits with the trunk NPA and separators', raw: '555-0117', rules: { npa: '312' }, e164: '+13125550117', validity: 'fictional-555' },
    { case: 'prefers 10 digits over the 00 rule', raw: '0044207946', rules: { international00: true }, e164: '+10044207946', validity: 'npa-0-1' },
    { case: 'reads a foreign 00 number on an international00 trunk', raw: '00442079460000', rules: { international00: true }, e164: '+442079460000', validity: 'non-nanp' },
    { case: 'reads digits as E.164 under an e164 hint', raw: '442079460000', rules: { natureOfAddress: 'e164' }, e164: '+442079460000', validity: 'non-nanp' },
    { case: 'takes an 11-digit e164-hinted number as +1', raw: '13125550117', rules: { natureOfAddress: 'e164' }, e164: '+13125550117', validity: 'fictional-555' },
    { case: 'reads a wrong-length national number as NANP and flags it', raw: '312555011', rules: { natureOfAddress: 'national' }, e164: '+1312555011', validity: 'length' },
    { case: 'reads 1 + 10 digits under a national hint', raw: '13125550117', rules: { natureOfAddress: 'national' }, e164: '+13125550117', validity: 'fictional-555' },
    { case: 'completes 7 national digits with the trunk NPA', raw: '5550117', rules: { natureOfAddress: 'national', npa: '312' }, e164: '+13125550117', validity: 'fictional-555' },
    { case: 'keeps an explicit + over a national hint', raw: '+442079460000', rules: { natureOfAddress: 'national' }, e164: '+442079460000', validity: 'non-nanp' },
    { case: 'guesses as usual under an unknown hint', raw: '011442079460000', rules: { natureOfAddress: 'unknown' }, e164: '+442079460000', validity: 'non-nanp' },
  ])('$case', check);
});

describe('normalise: anonymity', () => {
  it.each([
    'anonymous', 'ANONYMOUS', 'Restricted', 'unavailable', 'Unknown', 'PRIVATE', 'out of area', 'Out-Of-Area', '', '   ',
    '0', '0000000000', '(000) 000-0000', 'sip:anonymous@anonymous.invalid', '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=x',
    'SIP:Anonymous@Anonymous.Invalid', 'sip:+13125550117@anonymous.invalid', '<sip:restricted@192.0.2.1>', 'sip:@192.0.2.1',
  ])('%j is a withheld caller with no number', (raw) => {
    expect(normalise(raw)).toStrictEqual({ e164: null, raw, anonymous: true, validity: 'valid' });
  });

  it('does not mistake a host merely starting with anonymous.invalid', () => {
    expect(normalise('sip:+13125550117@anonymous.invalid.example.com').anonymous).toBe(false);
  });
});

describe('NANP validity (domain.md §2.4)', () => {
  it.each<{ raw: string; validity: Validity }>([
    { raw: '+1202555012', validity: 'length' },
    { raw: '+120255501234', validity: 'length' },
    { raw: '+1 112 555 0100', validity: 'npa-0-1' },
    { raw: '+1 012 555 0100', validity: 'npa-0-1' },
    { raw: '+1 292 555 0100', validity: 'npa-n9x' },
    { raw: '+1 411 555 0100', validity: 'npa-n11' },
    { raw: '+1 202 155 0100', validity: 'nxx-0-1' },
    { raw: '+1 202 055 0100', validity: 'nxx-0-1' },
    { raw: '+1 202 911 0100', validity: 'nxx-n11' },
    { raw: '+1 202 555 0100', validity: 'fictional-555' },
    { raw: '+1 202 555 0199', validity: 'fictional-555' },
    { raw: '+1 202 555 0200', validity: 'valid' },
    { raw: '+1 202 555 0099', validity: 'valid' },
    { raw: '+1 212 201 0100', validity: 'valid' },
  ])('$raw is kept and marked $validity', ({ raw, validity }) => {
    const tn = normalise(raw);
    expect(tn.e164).not.toBeNull();
    expect(tn.validity).toBe(validity);
  });

  it.each<{ national: string; problem: ReturnType<typeof nanpProblem> }>([
    { national: '2025550143', problem: null },
    { national: '2025550100', problem: null },
    { national: '202555014', problem: 'length' },
    { national: '20255501430', problem: 'length' },
    { national: '202555014x', problem: 'length' },
    { national: '', problem: 'length' },
    { national: '1025550143', problem: 'npa-0-1' },
    { national: '0025550143', problem: 'npa-0-1' },
    { national: '2925550143', problem: 'npa-n9x' },
    { national: '9995550143', problem: 'npa-n9x' },
    { national: '6115550143', problem: 'npa-n11' },
    { national: '2020550143', problem: 'nxx-0-1' },
    { national: '2021550143', problem: 'nxx-0-1' },
    { national: '2024110143', problem: 'nxx-n11' },
    { national: '1925550143', problem: 'npa-0-1' },
  ])('nanpProblem($national) is $problem', ({ national, problem }) => {
    expect(nanpProblem(national)).toBe(problem);
  });
});

describe('toE164', () => {
  it('gives the E.164 key or null', () => {
    expect(toE164("'ACME'<sip:12025550143@192.0.2.4:5060;user=phone>;tag=9a")).toBe('+12025550143');
    expect(toE164('5550143', { npa: '202' })).toBe('+12025550143');
    expect(toE164('anonymous')).toBeNull();
    expect(toE164('junk')).toBeNull();
  });
});

describe('isEmergency', () => {
  it.each([
    '911', '+1911', '1911', '112', '+112', 'sip:911@192.0.2.1', 'SIP:911@192.0.2.1;user=phone', '<sip:+1911@192.0.2.1;user=phone>',
    'tel:911', 'tel:911;phone-context=+1', 'sip:1-911@192.0.2.1', 'sip:%2B1911@192.0.2.1', 'urn:service:sos', 'URN:service:sos.police',
  ])('%j is exempt by default', (raw) => {
    expect(isEmergency(raw)).toBe(true);
  });

  it.each(['9110', '91', '2025550911', '+12025550911', '811', 'sip:192.0.2.1', 'urn:service:sossy', 'urn:service:counseling', '', 'anonymous', '1'])(
    '%j is not exempt',
    (raw) => {
      expect(isEmergency(raw)).toBe(false);
    },
  );

  it('adds configured extras in the same forms', () => {
    const extra = ['988', '933'];
    expect(isEmergency('988', extra)).toBe(true);
    expect(isEmergency('+1988', extra)).toBe(true);
    expect(isEmergency('sip:933@192.0.2.1', extra)).toBe(true);
    expect(isEmergency('988')).toBe(false);
    expect(isEmergency('987', extra)).toBe(false);
  });

  it.each([
    ['sip:+13125550117@192.0.2.1;user=phone', false],
    ['tel:+13125550117;npdi', false],
    ['+13125550117', false],
    ['sip:911;x=y@192.0.2.1', true],
    ['sip:911', false],
    ['tel:911@192.0.2.1', false],
    ['tel:911?x=y', true],
    ['911@192.0.2.1', true],
    ['911?', false],
    ['sips:+1112@192.0.2.1', true],
    ['news:911', false],
    ['9-1-1', true],
    [' 911', true],
    ['%39%31%31', true],
    ['sip:911:secret@192.0.2.1', true],
  ] as const)('the in-place reading and the full parse agree: %j → %s', (raw, exempt) => {
    expect(isEmergency(raw)).toBe(exempt);
  });
});

describe('normalise: properties', () => {
  const numberish = fc
    .array(fc.constantFrom('+', '1', '0', '2', '5', '9', '011', '00', ' ', '-', '(', ')', '.', '%2B', ';ext=1', ';rn=3125550000', ';npdi'), {
      maxLength: 24,
    })
    .map((parts) => parts.join(''));
  const shaped = fc
    .tuple(fc.constantFrom('', 'sip:', 'SIPS:', 'tel:', '"a\\"b" <sip:', "'X'<tel:"), numberish, fc.constantFrom('', '@192.0.2.1', '@h>;tag=1', '>'))
    .map(([scheme, number, tail]) => scheme + number + tail);
  const anything = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), numberish, shaped);
  const rules = fc.option(
    fc.record({ npa: fc.constant('312'), international00: fc.boolean(), stripPrefixes: fc.constant(['A02']) }, { requiredKeys: [] }),
    { nil: undefined },
  );

  it('never throws and always keeps the raw input', () => {
    fc.assert(
      fc.property(anything, rules, (raw, r) => {
        const tn = normalise(raw, r);
        expect(tn.raw).toBe(raw);
        expect(tn.e164 === null || /^\+[1-9][0-9]{6,14}$/.test(tn.e164)).toBe(true);
        expect(tn.validity === 'unnormalised').toBe(tn.e164 === null && !tn.anonymous);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent on its E.164 output', () => {
    fc.assert(
      fc.property(anything, rules, (raw, r) => {
        const e164 = normalise(raw, r).e164;
        if (e164 !== null) expect(normalise(e164).e164).toBe(e164);
      }),
      { numRuns: 2000 },
    );
  });

  it('isEmergency never throws', () => {
    fc.assert(
      fc.property(anything, (raw) => {
        expect(typeof isEmergency(raw, ['988'])).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callRecord, peer } from '../../../agent/cdr/assemble.js';
import { normalise } from '../../../proto/tn.js';

const base = { calledLabel: 'field 9 (called)', time: { at: 0 }, ingress: {} };

describe('callRecord', () => {
  it('holds none of the text its fields were sliced from: a record waiting for the index keeps no 64 kB window', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const kept: unknown[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let w = 0; w < 100; w++) {
      // A window of a file with one record's fields in it (flattened by the first slice), sliced out as the line
      // formats slice them.
      const fields = `,+44207946${String(w).padStart(5, '0')},+4420794611${String(w).padStart(4, '0')},trunk-group-${w}-london,2001:db8::${w}:5060,call-${w}-a84b4c76e66710@203.0.113.40,`;
      const window = 'x'.repeat(32_000) + fields + 'y'.repeat(32_000);
      const [calling, calledNumber, trunkGroup, ip, callId] = window.slice(32_001, 32_000 + fields.length - 1).split(',') as [string, string, string, string, string];
      kept.push(callRecord('generic', { ...base, calling, called: calledNumber, callId, ingress: { trunkGroup, ip } }, undefined));
    }
    gc();
    gc();
    // Each window kept would be 64 kB: 6.4 MB for the hundred.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(1_500_000);
    expect(kept).toHaveLength(100);
  });

  it('keeps an unnormalisable caller as received: a spoofed number is evidence', () => {
    expect(callRecord('generic', { ...base, calling: 'sip:alice@example.com', called: '2025550143' }, undefined)).toMatchObject({
      calling: 'sip:alice@example.com',
      called: '+12025550143',
    });
  });

  it('refuses a record whose called number cannot be the index key, naming the field', () => {
    expect(callRecord('generic', { ...base, calling: '3125550117', called: 's' }, undefined)).toBe(
      'field 9 (called): "s" does not normalise to an E.164 number',
    );
  });

  it('applies the trunk rules to both numbers, and a nature-of-address hint to its own number only', () => {
    const trunk = { stripPrefixes: ['3401#'], npa: '202' };
    expect(callRecord('generic', { ...base, calling: '3401#5550117', called: '3401#5550143' }, { numbers: trunk })).toMatchObject({
      calling: '+12025550117',
      called: '+12025550143',
    });
    expect(callRecord('generic', { ...base, calling: '442079460000', callingNoa: 'e164', called: '2025550143' }, { numbers: trunk })).toMatchObject({
      calling: '+442079460000',
    });
  });

  it('makes the same numbers as proto normalise for every digit string, with and without +, and with trunk rules', () => {
    const digits = fc.stringMatching(/^\+?[0-9]{0,17}$/);
    const trunk = fc.constantFrom(
      undefined,
      { npa: '202' },
      { stripPrefixes: ['1'] },
      { natureOfAddress: 'national' as const },
      { natureOfAddress: 'e164' as const },
      { natureOfAddress: 'unknown' as const, international00: true },
    );
    const noa = fc.constantFrom(undefined, 'national' as const, 'e164' as const, 'unknown' as const);
    fc.assert(
      fc.property(digits, digits, trunk, noa, (calling, called, rules, callingNoa) => {
        const r = callRecord('generic', { ...base, calling, called, ...(callingNoa && { callingNoa }) }, rules && { numbers: rules });
        const dialled = normalise(called, rules).e164;
        const from = normalise(calling, callingNoa ? { ...rules, natureOfAddress: callingNoa } : rules);
        if (dialled === null) expect(typeof r).toBe('string');
        else expect(r).toMatchObject({ called: dialled, calling: from.anonymous ? '' : (from.e164 ?? from.raw) });
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps a withheld caller anonymous even when the asserted identity is withheld too', () => {
    expect(callRecord('generic', { ...base, calling: 'anonymous', pai: 'Restricted', called: '2025550143' }, undefined)).toMatchObject({
      calling: '',
      anonymous: true,
    });
  });
});

describe('peer', () => {
  it.each([
    ['192.0.2.7', { ip: '192.0.2.7' }],
    ['192.0.2.7:5060', { ip: '192.0.2.7', port: 5060 }],
    ['[2001:db8::7]:5061', { ip: '2001:db8::7', port: 5061 }],
    ['2001:db8::7', { ip: '2001:db8::7' }],
    ['gw.example.net', { ip: 'gw.example.net' }],
    ['192.0.2.7:x', { ip: '192.0.2.7' }],
    ['', {}],
  ])('%j', (text, expected) => {
    expect(peer(text)).toEqual(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { addRequest, changeRow, DnoChangeRefused, emergencyRule, importRequest, removeRequest, resolveChange } from '../../../hub/dno/master.js';
import { mintPayloadIds } from '../../../hub/dno/layout.js';

const meta = { who: 'ops' };

describe('emergency numbers are never on a DNO list', () => {
  const refuse = emergencyRule(['988']);
  it.each([
    ['l12025550100', null],
    ['l1900*', null],
    ['l1*', 'prefix +1* covers the emergency number +1911, which is never on a DNO list'],
    ['l19*', 'prefix +19* covers the emergency number +1911, which is never on a DNO list'],
    ['l91*', 'prefix +91* covers the emergency number +911, which is never on a DNO list'],
    ['l98*', 'prefix +98* covers the emergency number +988, which is never on a DNO list'],
    ['l1911', '+1911 is an emergency number, never on a DNO list'],
    ['l1988', '+1988 is an emergency number, never on a DNO list'],
    ['l12025550100-12025550199', null],
  ])('%s → %s', (field, reason) => {
    expect(refuse(field)).toBe(reason);
  });

  it('an add of an emergency prefix is a bad line of the request', () => {
    const req = addRequest([{ prefix: '+1', category: 'listed' }, { number: '+12025550100', category: 'listed' }], [], meta);
    expect(req.problems).toEqual([{ line: 1, text: '+1*', reason: 'prefix +1* covers the emergency number +1911, which is never on a DNO list' }]);
    expect(req.add.fields).toEqual(['l12025550100']);
  });
});

describe('import requests', () => {
  it('read numbers and CSV lines into fields with one payload per distinct reason', () => {
    const req = importRequest('number,category,reason\n+12025550100\n+12025550101,unassigned,spare\n2025550102,,spare\n', { category: 'listed', source: 'itg' }, meta);
    expect(req.problems).toEqual([]);
    expect(req.add.fields).toEqual(['l12025550100', 'u12025550101', 'l12025550102']);
    expect(req.add.payloads).toEqual(['{"source":"itg"}', '{"reason":"spare","source":"itg"}', '{"reason":"spare","source":"itg"}']);
    expect(req.add.payloads[1]).toBe(req.add.payloads[2]);
  });
});

describe('resolving a change', () => {
  const ids = (req: ReturnType<typeof importRequest>) => mintPayloadIds(4, new Set(req.add.payloads));

  it('the last line for an entry wins, and the row counts and samples what changed', () => {
    const req = importRequest('+12025550100,listed,first\n+12025550100,listed,second\n', {}, { ...meta, why: 'w', file: 'f.csv' });
    const change = resolveChange(req, () => false, ids(req));
    expect([...change.add]).toEqual([['l12025550100', '4.1']]);
    expect(changeRow(req, change, 4, 0)).toEqual({
      version: 4,
      who: 'ops',
      when: '1970-01-01T00:00:00.000Z',
      why: 'w',
      what: { op: 'import', added: 1, removed: 0, skipped: 0, sample: ['listed +12025550100'], file: 'f.csv' },
    });
  });

  it('a removal finds the target in every category it is listed in', () => {
    const req = removeRequest('+12025550100\n', meta);
    const listed = new Set(['l12025550100', 'u12025550100']);
    expect(resolveChange(req, (f) => listed.has(f), new Map()).remove.sort()).toEqual(['l12025550100', 'u12025550100']);
  });

  it('refuses with every bad line, or keeps the good ones when asked', () => {
    const req = importRequest('+12025550100\nbad\n', {}, meta);
    expect(() => resolveChange(req, () => false, ids(req))).toThrow(DnoChangeRefused);
    const good = importRequest('+12025550100\nbad\n', {}, { ...meta, applyGood: true });
    const change = resolveChange(good, () => false, ids(good));
    expect(change.add.size).toBe(1);
    expect(change.problems).toEqual([{ line: 2, text: 'bad', reason: 'not a phone number: "bad"' }]);
  });
});

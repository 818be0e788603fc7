import { describe, expect, it } from 'vitest';
import { generateKeyPair, publicKeyToRaw } from '../../proto/keys.js';
import {
  DnoDelta,
  HopAnswer,
  HopQuery,
  MessageError,
  parse,
  ProviderInput,
  TracebackInput,
} from '../../proto/messages.js';

function hopQuery(): Record<string, unknown> {
  return {
    queryId: 'q-1',
    tracebackId: 'tb-1',
    call: { calling: '+12025550143', called: '+13125550199', at: '2025-06-01T12:00:00Z', windowSec: 60 },
    askedBy: null,
    deadline: '2025-06-01T12:05:00Z',
  };
}

function match(): Record<string, unknown> {
  return {
    at: '2025-06-01T12:00:01.250Z',
    calling: '+12025550143',
    called: '+13125550199',
    source: 'cdr:ribbon',
    ingress: { ip: '198.51.100.7', port: 5060, trunkGroup: 'TG-PEER-7' },
    upstream: { providerId: 'carrier-b', name: 'Carrier B' },
    identity: { attest: 'A', origid: 'b1a2', signer: 'SPC 123J', verified: true },
  };
}

function hopAnswer(): Record<string, unknown> {
  return {
    queryId: 'q-1',
    tracebackId: 'tb-1',
    provider: 'carrier-a',
    result: 'upstream',
    matches: [match()],
    window: { from: '2025-06-01T11:58:00Z', to: '2025-06-01T12:02:00Z' },
    answeredAt: '2025-06-01T12:00:02Z',
    agentVersion: '0.1.0',
  };
}

function dnoDelta(): { version: number; full: boolean; add: Record<string, unknown>[]; remove: unknown[] } {
  return {
    version: 7,
    full: false,
    add: [
      { number: '+18005550100', category: 'listed', reason: 'inbound-only', source: 'ITG' },
      { prefix: '+1900', category: 'invalid' },
      { range: { from: '+12025550000', to: '+12025550999' }, category: 'unallocated' },
    ],
    remove: [{ number: '+18005550101', category: 'listed' }],
  };
}

/** The MessageError `parse` throws, so its path and reason can be asserted. */
function failure(run: () => unknown): MessageError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(MessageError);
    return e as MessageError;
  }
  throw new Error('parse accepted the input');
}

describe('valid messages parse', () => {
  it('HopQuery, with every field kept', () => {
    const input = hopQuery();
    expect(parse(HopQuery, input)).toEqual(input);
  });

  it('HopQuery defaults windowSec to 120', () => {
    const input = hopQuery();
    const { windowSec: _dropped, ...call } = input.call as Record<string, unknown>;
    expect(parse(HopQuery, { ...input, call }).call.windowSec).toBe(120);
  });

  it('HopAnswer, and a not_found answer with no matches gets an empty list', () => {
    expect(parse(HopAnswer, hopAnswer())).toEqual(hopAnswer());
    const { matches: _none, ...rest } = hopAnswer();
    expect(parse(HopAnswer, { ...rest, result: 'not_found' }).matches).toEqual([]);
  });

  it('DnoDelta with a number, a prefix and a range', () => {
    expect(parse(DnoDelta, dnoDelta())).toEqual(dnoDelta());
  });

  it('ProviderInput with defaults, and a key as keygen prints it', () => {
    const publicKey = publicKeyToRaw(generateKeyPair().publicKey);
    const parsed = parse(ProviderInput, { id: 'carrier-a', name: 'Carrier A', keys: [{ kid: 'k1', publicKey }] });
    expect(parsed).toEqual({
      id: 'carrier-a',
      name: 'Carrier A',
      country: 'US',
      foreign: false,
      gateway: false,
      reach: 'agent-pull',
      keys: [{ kid: 'k1', publicKey }],
    });
  });

  it('TracebackInput', () => {
    const input = {
      call: { calling: 'anonymous', called: '+13125550199', at: '2025-06-01T12:00:00-05:00' },
      firstProvider: 'carrier-a',
      campaign: 'SSA impostor',
    };
    expect(parse(TracebackInput, input)).toEqual(input);
  });
});

describe('match evidence (the CDR behind a match) survives parsing, as the hub parses answers', () => {
  const sha256 = 'ab'.repeat(32);
  it.each([
    { what: 'hash disclosure', evidence: { file: 'sbc01-20251231.ACT', offset: 1843, sha256, verified: true } },
    { what: 'line disclosure', evidence: { file: 'sbc01-20251231.ACT', offset: 0, sha256, verified: false, line: 'STOP,SBC01,"a,b"' } },
    { what: 'a line that could not be read back', evidence: { file: 'old.ACT', offset: 12, missing: 'the file is gone' } },
  ])('$what', ({ evidence }) => {
    const parsed = parse(HopAnswer, { ...hopAnswer(), matches: [{ ...match(), evidence }] });
    expect(parsed.matches[0]?.evidence).toEqual(evidence);
  });

  it('a match without evidence (SIP) has none', () => {
    expect(parse(HopAnswer, hopAnswer()).matches[0]).not.toHaveProperty('evidence');
  });

  it.each([
    { what: 'a sha256 that is not hex', change: { sha256: 'x'.repeat(64) }, path: 'matches[0].evidence.sha256', reason: 'a sha256 in lower-case hex' },
    { what: 'a negative offset', change: { offset: -1 }, path: 'matches[0].evidence.offset', reason: 'Too small: expected number to be >=0' },
  ])('is refused with $what, naming the path', ({ change, path, reason }) => {
    const evidence = { file: 'a.ACT', offset: 5, sha256, verified: true, ...change };
    const e = failure(() => parse(HopAnswer, { ...hopAnswer(), matches: [{ ...match(), evidence }] }));
    expect({ path: e.path, reason: e.reason }).toEqual({ path, reason });
  });
});

describe('unknown fields', () => {
  it('are stripped at the top level and inside nested objects and arrays', () => {
    const answer = hopAnswer();
    const withExtras = {
      ...answer,
      futureField: 1,
      matches: [{ ...match(), rawSip: 'INVITE …', ingress: { ip: '198.51.100.7', vlan: 12 } }],
    };
    const parsed = parse(HopAnswer, withExtras);
    expect(parsed).not.toHaveProperty('futureField');
    expect(parsed.matches[0]).not.toHaveProperty('rawSip');
    expect(parsed.matches[0]?.ingress).toEqual({ ip: '198.51.100.7' });
  });
});

describe('bad fields are a MessageError naming the path', () => {
  const query = hopQuery();
  const call = query.call as Record<string, unknown>;
  const delta = dnoDelta();
  const missing = 'Invalid input: expected string, received undefined';
  const withAdd = (i: number, change: object) => ({
    ...delta,
    add: delta.add.map((e, at) => (at === i ? { ...e, ...change } : e)),
  });
  it.each([
    {
      what: 'HopQuery missing call.called',
      schema: HopQuery,
      input: { ...query, call: { ...call, called: undefined } },
      path: 'call.called',
      reason: missing,
    },
    {
      what: 'HopQuery with a non-E.164 called',
      schema: HopQuery,
      input: { ...query, call: { ...call, called: '3125550199' } },
      path: 'call.called',
      reason: 'must be E.164, e.g. +12025550143',
    },
    {
      what: 'HopQuery with windowSec 0',
      schema: HopQuery,
      input: { ...query, call: { ...call, windowSec: 0 } },
      path: 'call.windowSec',
      reason: 'Too small: expected number to be >=1',
    },
    {
      what: 'HopQuery missing deadline',
      schema: HopQuery,
      input: { ...query, deadline: undefined },
      path: 'deadline',
      reason: missing,
    },
    {
      what: 'HopAnswer with an unknown match source',
      schema: HopAnswer,
      input: { ...hopAnswer(), matches: [{ ...match(), source: 'smtp' }] },
      path: 'matches[0].source',
      reason: 'sip | hep | drachtio | cdr:<format>',
    },
    {
      what: 'HopAnswer with an upper-case provider',
      schema: HopAnswer,
      input: { ...hopAnswer(), provider: 'Carrier-A' },
      path: 'provider',
      reason: 'lower-case letters, digits, . _ - (max 64)',
    },
    {
      what: 'HopAnswer with 21 matches (no bulk answers)',
      schema: HopAnswer,
      input: { ...hopAnswer(), matches: Array.from({ length: 21 }, match) },
      path: 'matches',
      reason: 'Too big: expected array to have <=20 items',
    },
    {
      what: 'DnoDelta with an unknown category',
      schema: DnoDelta,
      input: withAdd(2, { category: 'spam' }),
      path: 'add[2].category',
      reason: 'Invalid option: expected one of "listed"|"invalid"|"unallocated"|"unassigned"',
    },
    {
      what: 'DnoDelta with a reversed range',
      schema: DnoDelta,
      input: withAdd(2, { range: { from: '+12025550999', to: '+12025550000' } }),
      path: 'add[2].range',
      reason: 'from and to must have equal length and from <= to',
    },
    {
      what: 'ProviderInput with a 31-byte key',
      schema: ProviderInput,
      input: { id: 'carrier-a', name: 'A', keys: [{ kid: 'k1', publicKey: 'A'.repeat(42) }] },
      path: 'keys[0].publicKey',
      reason: 'base64url of a raw 32-byte Ed25519 key',
    },
    {
      what: 'TracebackInput missing firstProvider',
      schema: TracebackInput,
      input: { call: { calling: '+12025550143', called: '+13125550199', at: '2025-06-01T12:00:00Z' } },
      path: 'firstProvider',
      reason: missing,
    },
  ])('$what', ({ schema, input, path, reason }) => {
    const before = structuredClone(input);
    const err = failure(() => parse(schema, input));
    expect(err.path).toBe(path);
    expect(err.reason).toBe(reason);
    expect(err.message).toBe(`${path}: ${reason}`);
    expect(input).toEqual(before);
  });

  it('a body that is not an object names no field', () => {
    const err = failure(() => parse(HopQuery, 'hello'));
    expect(err.path).toBe('');
    expect(err.message).toBe('(body): Invalid input: expected object, received string');
  });

  it('lists every bad field in issues, the first one as the path', () => {
    const err = failure(() => parse(HopQuery, { ...hopQuery(), queryId: '', deadline: 'tomorrow' }));
    expect(err.issues.map((i) => i.path)).toEqual(['queryId', 'deadline']);
    expect(err.path).toBe('queryId');
  });
});

describe('a DNO entry is exactly one of number, prefix, range', () => {
  const number = { number: '+18005550100' };
  const prefix = { prefix: '+1900' };
  const range = { range: { from: '+12025550000', to: '+12025550999' } };
  it.each([
    ['none of them', {}],
    ['number and prefix', { ...number, ...prefix }],
    ['prefix and range', { ...prefix, ...range }],
    ['all three', { ...number, ...prefix, ...range }],
  ])('refuses %s', (_what, target) => {
    const err = failure(() => parse(DnoDelta, { ...dnoDelta(), remove: [{ ...target, category: 'listed' }] }));
    expect(err.path).toBe('remove[0]');
    expect(err.reason).toBe('exactly one of number, prefix, range');
  });
});

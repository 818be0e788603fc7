import { describe, expect, it } from 'vitest';
import type { DnoCategory } from '../../../proto/messages.js';
import { CoTable } from '../../../agent/dno/cotable.js';
import type { DnoAction } from '../../../agent/dno/decide.js';
import { buildSnapshot } from '../../../agent/dno/snapshot.js';
import { parseSip, type SipMessage } from '../../../agent/sip/parser.js';
import { callingNumber, decideInvite, policyContext, type InviteSource, type PolicySettings } from '../../../agent/sip/policy.js';
import { answerSip } from '../../../agent/sip/responder.js';
import { baseWith, sip } from './messages.js';

const snapshot = buildSnapshot(
  [
    { number: '+12025550100', category: 'listed', reason: 'IRS inbound-only' },
    { number: '+12025550111', category: 'unassigned' },
  ],
  { version: 7, coAssigned: new CoTable([202_555, 312_555], []) },
);
const BLOCK_ALL: Record<DnoCategory, DnoAction> = { listed: 'block', invalid: 'block', unallocated: 'block', unassigned: 'block' };
const DEFAULTS: PolicySettings = { continueMode: '302', block: { code: 603, reasonText: 'Call Rejected' }, callingFrom: 'pai' };

function ctxWith(settings: Partial<PolicySettings> = {}, actions: Partial<Record<DnoCategory, DnoAction>> = {}) {
  return policyContext({ ...DEFAULTS, ...settings }, { snapshot, actions: { ...BLOCK_ALL, ...actions }, emergency: ['933'] }, 'sip');
}
const ctx = ctxWith();
const SRC: InviteSource = { address: '203.0.113.9', port: 5099, at: 1_767_225_600_000 };

const R_URI = 'sip:+13125550117@192.0.2.10:5060;user=phone';

/** An INVITE from `from` (a From URI) with extra header lines, to R_URI unless `ruri` says otherwise. */
function inviteFrom(from: string, extra: string[] = [], ruri = R_URI): Buffer {
  return sip([`INVITE ${ruri} SIP/2.0`, ...baseWith('from', `From: <${from}>;tag=f1`), ...extra, 'Content-Length: 0']);
}

function parsed(buf: Buffer): SipMessage {
  const r = parseSip(buf);
  if (!r.ok) throw new Error(`test message does not parse: ${r.error.reason}`);
  return r.msg;
}

const text = (b: Buffer | null) => b?.toString('latin1') ?? '';
const statusLine = (b: Buffer | null) => text(b).split('\r\n')[0];

describe('decideInvite', () => {
  it('redirects a clean caller with 302 and a Contact naming the Request-URI', () => {
    const a = decideInvite(parsed(inviteFrom('sip:+13125550100@198.51.100.7;user=phone')), SRC, ctx);
    expect([a.status, a.decision.action]).toEqual([302, 'continue']);
    expect(text(a.response)).toMatch(/^SIP\/2\.0 302 Moved Temporarily\r\n/);
    expect(text(a.response)).toContain(`\r\nContact: <${R_URI}>\r\n`);
    expect(text(a.response)).not.toContain('Reason:');
  });

  it('blocks a listed caller with 603 and a Q.850 cause 21 Reason', () => {
    const a = decideInvite(parsed(inviteFrom('sip:+12025550100@198.51.100.7;user=phone')), SRC, ctx);
    expect(a.decision).toMatchObject({ action: 'block', category: 'listed', rule: 'listed:+12025550100', listVersion: 7 });
    expect(statusLine(a.response)).toBe('SIP/2.0 603 Decline');
    expect(text(a.response)).toContain('\r\nReason: Q.850;cause=21;text="Call Rejected"\r\n');
    expect(text(a.response)).not.toContain('Contact:');
  });

  it('blocks with 608 Rejected when configured, keeping the Reason', () => {
    const a = decideInvite(parsed(inviteFrom('sip:+12925550100@h')), SRC, ctxWith({ block: { code: 608, reasonText: 'DNO' } }));
    expect(a.decision.category).toBe('invalid');
    expect(statusLine(a.response)).toBe('SIP/2.0 608 Rejected');
    expect(text(a.response)).toContain('Reason: Q.850;cause=21;text="DNO"\r\n');
  });

  it('escapes quotes and backslashes of the configured text inside the Reason quoted-string', () => {
    const a = decideInvite(parsed(inviteFrom('sip:+12025550100@h')), SRC, ctxWith({ block: { code: 603, reasonText: 'say "no" \\ DNO' } }));
    expect(text(a.response)).toContain('Reason: Q.850;cause=21;text="say \\"no\\" \\\\ DNO"\r\n');
  });

  it.each([
    ['404', 'SIP/2.0 404 Not Found'],
    ['503', 'SIP/2.0 503 Service Unavailable'],
  ] as const)('answers a clean caller with the route-advance %s when configured, without Contact', (mode, line) => {
    const a = decideInvite(parsed(inviteFrom('sip:+13125550100@h')), SRC, ctxWith({ continueMode: mode }));
    expect(statusLine(a.response)).toBe(line);
    expect(a.headers).toEqual([]);
    expect(text(a.response)).not.toContain('Contact:');
  });

  it('lets a monitored category through with 302 while the decision says monitor', () => {
    const a = decideInvite(parsed(inviteFrom('sip:+12025550111@h')), SRC, ctxWith({}, { unassigned: 'monitor' }));
    expect(a.decision).toMatchObject({ action: 'monitor', category: 'unassigned' });
    expect(a.status).toBe(302);
  });

  it('blocks an unallocated NPA-NXX from the CO table', () => {
    const a = decideInvite(parsed(inviteFrom('tel:+1-202-556-0100')), SRC, ctx);
    expect(a.decision).toMatchObject({ action: 'block', category: 'unallocated', rule: 'co:202-556' });
  });

  it('never blocks a call to an emergency number, default or configured', () => {
    for (const called of ['sip:911@192.0.2.10', 'tel:+1911', 'sip:933@192.0.2.10;user=phone']) {
      const a = decideInvite(parsed(inviteFrom('sip:+12025550100@h', [], called)), SRC, ctx);
      expect([called, a.status, a.decision.rule]).toEqual([called, 302, 'emergency']);
    }
  });

  it('does not block a withheld caller for being withheld, and records it anonymous with no number', () => {
    for (const from of ['sip:anonymous@anonymous.invalid', 'sip:restricted@198.51.100.7']) {
      const a = decideInvite(parsed(inviteFrom(from)), SRC, ctx);
      expect([from, a.status, a.calling?.anonymous]).toEqual([from, 302, true]);
      expect(a.record).toMatchObject({ calling: '', anonymous: true });
    }
  });

  it('judges the real caller from PAI under Privacy: id, and records the call as withheld', () => {
    const msg = parsed(inviteFrom('sip:anonymous@anonymous.invalid', ['P-Asserted-Identity: <tel:+12025550100>', 'Privacy: id']));
    const a = decideInvite(msg, SRC, ctx);
    expect([a.status, a.decision.category]).toEqual([603, 'listed']);
    expect(a.record).toMatchObject({ calling: '+12025550100', anonymous: true });
  });

  it('records where the INVITE came from, when, its Call-ID and the normalised numbers', () => {
    const a = decideInvite(parsed(inviteFrom('sip:3125550100@198.51.100.7')), SRC, ctx);
    expect(a.record).toEqual({
      at: SRC.at,
      calling: '+13125550100',
      called: '+13125550117',
      source: 'sip',
      ingress: { ip: '203.0.113.9', port: 5099 },
      callId: 'c1@198.51.100.7',
    });
  });

  it('keeps the raw caller when it is not a number, and learns nothing when the called number is not E.164', () => {
    const raw = decideInvite(parsed(inviteFrom('sip:alice@198.51.100.7')), SRC, ctx);
    expect([raw.status, raw.record?.calling]).toEqual([302, 'sip:alice@198.51.100.7']);
    const noNumber = decideInvite(parsed(inviteFrom('sip:+12025550100@h', [], 'sip:bob@192.0.2.10')), SRC, ctx);
    expect([noNumber.status, noNumber.record]).toEqual([603, null]);
  });

  it('answers a retransmitted INVITE with the same bytes, To tag included', () => {
    const bytes = inviteFrom('sip:+12025550100@h');
    const first = decideInvite(parsed(bytes), SRC, ctx).response;
    const again = decideInvite(parsed(Buffer.from(bytes)), SRC, ctx).response;
    expect(again.equals(first)).toBe(true);
    expect(text(first)).toMatch(/\r\nTo: <sip:\+12025550143@192\.0\.2\.10;user=phone>;tag=[0-9a-f]{16}\r\n/);
  });

  it('stamps the top Via with the packet source (rport and received), never the address the Via names', () => {
    const a = decideInvite(parsed(inviteFrom('sip:+13125550100@h')), SRC, ctx);
    expect(text(a.response)).toContain('\r\nVia: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1;rport=5099;received=203.0.113.9\r\n');
  });
});

describe('callingNumber', () => {
  const from = 'sip:+13125550100@198.51.100.7;user=phone';
  const cases: [string, string[], 'pai' | 'from', string | null][] = [
    ['takes a tel: PAI over a sip: one given first', ['P-Asserted-Identity: <sip:+13125550101@h>, <tel:+13125550102>'], 'pai', '+13125550102'],
    ['takes a user=phone PAI over a plain sip: one', ['P-Asserted-Identity: <sip:+13125550101@h>', 'P-Asserted-Identity: <sip:+13125550103@h;user=phone>'], 'pai', '+13125550103'],
    ['takes a plain sip: PAI whose user is a number', ['P-Asserted-Identity: "X" <sip:3125550104@h>'], 'pai', '+13125550104'],
    ['falls back to From when no PAI value is a number', ['P-Asserted-Identity: <sip:alice@h>'], 'pai', '+13125550100'],
    ['takes From when there is no PAI', [], 'pai', '+13125550100'],
    ['ignores PAI when configured for From', ['P-Asserted-Identity: <tel:+13125550102>'], 'from', '+13125550100'],
  ];
  it.each(cases)('%s', (_name, extra, mode, expected) => {
    expect(callingNumber(parsed(inviteFrom(from, extra)), mode)?.e164).toBe(expected);
  });
});

describe('answerSip', () => {
  const answer = (buf: Buffer) => answerSip(buf, SRC, 'udp', ctx);
  const request = (method: string, extra: string[] = []) =>
    sip([`${method} sip:+12025550143@192.0.2.10 SIP/2.0`, ...baseWith('cseq', `CSeq: 2 ${method}`), ...extra, 'Content-Length: 0']);

  it('absorbs an ACK', () => {
    expect(answer(request('ACK')).response).toBeNull();
  });

  it('answers OPTIONS pings with 200 and Allow', () => {
    const r = text(answer(request('OPTIONS')).response);
    expect(r).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(r).toContain('\r\nAllow: INVITE, ACK, CANCEL, OPTIONS\r\n');
  });

  it('answers an OPTIONS that Requires an extension with 420 listing it as Unsupported', () => {
    const r = text(answer(request('OPTIONS', ['Require: foo, bar'])).response);
    expect(r).toMatch(/^SIP\/2\.0 420 Bad Extension\r\n/);
    expect(r).toContain('\r\nUnsupported: foo, bar\r\n');
  });

  it('answers CANCEL with 200 and the same To tag as the INVITE it cancels', () => {
    const toTag = (b: Buffer | null) => /\r\nTo: [^\r]*;tag=([0-9a-f]+)\r\n/.exec(text(b))?.[1];
    const cancel = answer(request('CANCEL')).response;
    expect(statusLine(cancel)).toBe('SIP/2.0 200 OK');
    expect(toTag(cancel)).toMatch(/^[0-9a-f]{16}$/);
    expect(toTag(cancel)).toBe(toTag(answer(request('INVITE')).response));
  });

  it('answers other known methods with 405 and Allow, unknown ones with 501', () => {
    for (const method of ['REGISTER', 'BYE', 'MESSAGE', 'SUBSCRIBE']) {
      const r = text(answer(request(method)).response);
      expect(r.split('\r\n')[0]).toBe('SIP/2.0 405 Method Not Allowed');
      expect(r).toContain('\r\nAllow: INVITE, ACK, CANCEL, OPTIONS\r\n');
    }
    expect(statusLine(answer(request('FROBNICATE')).response)).toBe('SIP/2.0 501 Not Implemented');
  });

  it('never answers a response', () => {
    const response = sip(['SIP/2.0 200 OK', ...baseWith('cseq', 'CSeq: 1 INVITE'), 'Content-Length: 0']);
    expect(answer(response)).toEqual({ response: null });
  });

  it("answers a malformed request with 400 and the parser's reason, and says why", () => {
    const a = answer(sip([`INVITE ${R_URI} SIP/2.0`, ...baseWith('call-id'), 'Content-Length: 0']));
    expect(statusLine(a.response)).toBe('SIP/2.0 400 Missing Call-ID');
    expect(a.parseError).toMatchObject({ code: 400, reason: 'Missing Call-ID' });
    expect(a.invite).toBeUndefined();
  });

  it('drops what cannot be answered: garbage, a malformed ACK, a request without Via', () => {
    expect(answer(Buffer.from('\x00\x01 not sip at all')).response).toBeNull();
    expect(answer(sip(['ACK sip:x@192.0.2.10 SIP/2.0', ...baseWith('cseq', 'CSeq: 1 INVITE'), 'Content-Length: 0'])).response).toBeNull();
    const noVia = answer(sip([`INVITE ${R_URI} SIP/2.0`, ...baseWith('via'), 'Content-Length: 0']));
    expect([noVia.response, noVia.parseError?.reason]).toEqual([null, 'Missing Via']);
  });
});

/**
 * The 49 RFC 4475 torture messages sent byte-exact through a real UDP socket to the policy server: each gets
 * the answer INDEX.tsv calls for from an element in the policy server's role (a stateless redirect server that
 * serves INVITE and OPTIONS, answers 405 to other methods it knows and 501 to unknown ones), and the server
 * keeps serving after every one of them. Every answer arrives at the test's socket: the packet's source, not
 * the 192.0.2.x / example.com hosts the messages name.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSip } from '../../../agent/sip/parser.js';
import { callingNumber } from '../../../agent/sip/policy.js';
import { fixture, startHarness, statusOf, udpClient, type Harness, type UdpClient } from './policy-harness.js';
import { sip, BASE_HEADERS } from './messages.js';

const index = readFileSync(new URL('../../fixtures/rfc4475/INDEX.tsv', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'))
  .map(([file = '', , title = '', expected = '']) => ({ file, title, expected }));

/** The answer per message (null: none is sent), with the INDEX.tsv note it follows for this server's role. */
const ANSWERS: Record<string, [number | null, string]> = {
  'wsinv.dat': [302, 'valid INVITE: processed normally (a decision)'],
  'intmeth.dat': [501, 'unknown method: 501'],
  'esc01.dat': [302, 'valid INVITE: processed normally'],
  'escnull.dat': [405, 'REGISTER at a non-registrar: 405'],
  'esc02.dat': [501, 'RE%47IST%45R is an unknown method: 501'],
  'lwsdisp.dat': [200, 'OPTIONS answered normally'],
  'longreq.dat': [302, 'valid INVITE: processed normally'],
  'dblreq.dat': [405, 'the REGISTER is handled, the trailing INVITE bytes are never answered'],
  'semiuri.dat': [200, 'OPTIONS answered normally'],
  'transports.dat': [200, 'OPTIONS answered normally via the top Via'],
  'mpart01.dat': [405, 'MESSAGE is processed normally: not served here, so 405 (never a parse-error 400)'],
  'unreason.dat': [null, 'a response is never answered'],
  'noreason.dat': [null, 'a response is never answered'],
  'badinv01.dat': [400, 'stray ; and , in Via: 400'],
  'clerr.dat': [400, 'over UDP, Content-Length beyond the datagram: 400'],
  'ncl.dat': [400, 'negative Content-Length: an error'],
  'scalar02.dat': [400, 'CSeq above 2^32-1: 400'],
  'scalarlg.dat': [null, 'a response: discarded'],
  'quotbal.dat': [400, 'unterminated quoted string: 400'],
  'ltgtruri.dat': [400, '<> around the Request-URI: 400'],
  'lwsruri.dat': [400, 'LWS in the Request-URI: 400'],
  'lwsstart.dat': [400, 'multiple SPs in the Request-Line: may reject with 400'],
  'trws.dat': [400, 'trailing SPs on the Request-Line: may reject with 400'],
  'escruri.dat': [400, 'escaped headers in the Request-URI: may reject with 400'],
  'baddate.dat': [302, 'the Date does not matter here: INVITE processed normally'],
  'regbadct.dat': [405, 'REGISTER (Contact <> inferred) at a non-registrar: 405'],
  'badaspec.dat': [400, 'spaces within addr-spec: 400'],
  'baddn.dat': [400, 'non-token display names: 400'],
  'badvers.dat': [505, 'SIP/7.0: 505'],
  'mismatch01.dat': [400, 'OPTIONS with CSeq INVITE: 400'],
  'mismatch02.dat': [501, 'unknown method with a CSeq mismatch: 501'],
  'bigcode.dat': [null, 'a response with status 4294967301: dropped'],
  'badbranch.dat': [200, 'a bare z9hG4bK branch: OPTIONS answered normally'],
  'insuf.dat': [400, 'missing Call-ID, From, To: 400, still built'],
  'unkscm.dat': [416, 'unknown Request-URI scheme: 416'],
  'novelsc.dat': [416, 'soap.beep is never meaningful here: 416'],
  'unksm2.dat': [405, 'REGISTER at a non-registrar endpoint: 405 (by analogy with 3.3.7)'],
  'bext01.dat': [420, 'OPTIONS that Requires unknown extensions: 420 (acting as UAS)'],
  'invut.dat': [302, 'the body is never read: processed like any other INVITE, as a proxy does'],
  'regaut01.dat': [405, 'REGISTER at a non-registrar endpoint: 405'],
  'multi01.dat': [400, 'duplicated single-value headers: 400'],
  'mcl01.dat': [400, 'conflicting Content-Length values: an error'],
  'bcast.dat': [null, 'a response: discarded, never sent towards the broadcast Via'],
  'zeromf.dat': [200, 'Max-Forwards 0: an endpoint answers the OPTIONS normally'],
  'cparam01.dat': [405, 'REGISTER at a non-registrar: 405'],
  'cparam02.dat': [405, 'REGISTER at a non-registrar: 405'],
  'regescrt.dat': [405, 'REGISTER at a non-registrar: 405'],
  'sdp01.dat': [302, 'the 302 carries no body, so the Accept without SDP is met; processed normally'],
  'inv2543.dat': [302, 'RFC 2543 INVITE accepted, the body being the rest of the datagram'],
};

/** A ping after each message: once it is answered, any answer to the message has arrived before it. */
const ping = (n: number) =>
  sip(['OPTIONS sip:ping@127.0.0.1 SIP/2.0', ...BASE_HEADERS.filter((h) => !/^(CSeq|Call-ID)/.test(h)), `Call-ID: ping-${n}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0']);

let harness: Harness;
let client: UdpClient;
beforeAll(async () => {
  harness = await startHarness();
  client = await udpClient();
});
afterAll(async () => {
  await client.close();
  await harness.stop();
});

/** Sends the message then the ping; returns every answer that came before the ping's. */
async function exchange(message: Buffer, n: number): Promise<Buffer[]> {
  const port = harness.port('udp');
  client.send(message, port);
  client.send(ping(n), port);
  const answers: Buffer[] = [];
  for (;;) {
    const got = await client.next(2_000);
    if (!got) throw new Error('the server stopped answering');
    if (got.toString('latin1').includes(`\r\nCall-ID: ping-${n}\r\n`)) return answers;
    answers.push(got);
  }
}

describe('the policy server on the RFC 4475 torture messages over UDP', () => {
  it('has an expected answer for every message of INDEX.tsv', () => {
    expect(index).toHaveLength(49);
    expect(index.map((r) => r.file).sort()).toEqual(Object.keys(ANSWERS).sort());
  });

  it.each(index.map((r, n) => [r.file, r.expected, r.title, n] as const))('%s (%s: %s)', async (file, _expected, _title, n) => {
    const [status, why] = ANSWERS[file]!;
    const answers = await exchange(fixture(`rfc4475/${file}`), n);
    expect({ why, statuses: answers.map(statusOf) }).toEqual({ why, statuses: status === null ? [] : [status] });
  });

  it('decides the valid INVITEs on the caller their From names', () => {
    const callers = ['wsinv.dat', 'esc01.dat', 'longreq.dat'].map((file) => {
      const r = parseSip(fixture(`rfc4475/${file}`));
      return r.ok ? callingNumber(r.msg, 'pai')?.raw : r.error.reason;
    });
    expect(callers).toEqual(['sip:jdrosen@example.com', 'sip:I%20have%20spaces@example.net', `sip:${'amazinglylongcallername'.repeat(5)}@example.net`]);
  });

  it('counts the malformed ones by the answer they got', async () => {
    const dropped = index.filter((r) => {
      const parsed = parseSip(fixture(`rfc4475/${r.file}`));
      return !parsed.ok && parsed.error.code === 'drop';
    });
    expect(dropped.length).toBeGreaterThan(0);
    expect(await harness.metric('hoptrace_sip_parse_errors_total', { code: 'drop' })).toBe(dropped.length);
    expect(await harness.metric('hoptrace_sip_parse_errors_total', { code: '400' })).toBe(Object.values(ANSWERS).filter(([s]) => s === 400).length);
  });
});

/**
 * The simulated SBC (sim/sbc.ts) against a scripted policy server on loopback: it sends from its own address,
 * retransmits until a final answer comes (ignoring provisional ones and other calls'), gives up with a clear
 * error, and addresses loopback only.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { NotLoopbackError, parseResponse, PolicyTimeoutError, Sbc } from '../../sim/sbc.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** A policy server that answers each INVITE with `answer(n, request)` (undefined: stay silent). */
async function server(answer: (n: number, req: string) => string[] | undefined): Promise<{ socket: Socket; port: number; seen: { from: string; text: string }[] }> {
  const socket = createSocket('udp4');
  const seen: { from: string; text: string }[] = [];
  socket.on('message', (msg, rinfo) => {
    const text = msg.toString('latin1');
    seen.push({ from: rinfo.address, text });
    const callId = text.match(/\r\nCall-ID: (\S+)/)![1]!;
    for (const r of answer(seen.length, text) ?? []) socket.send(r.replace('$CALLID', callId), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  open.push({ close: () => new Promise<void>((r) => socket.close(() => r())) });
  return { socket, port: socket.address().port, seen };
}

const response = (status: string, extra = '') => `SIP/2.0 ${status}\r\nCall-ID: $CALLID\r\n${extra}Content-Length: 0\r\n\r\n`;

describe('simulated SBC asking a policy server', () => {
  it('sends the INVITE from its own loopback address with the caller in From and PAI, and reads a block', async () => {
    const s = await server(() => [response('100 Trying'), response('603 Decline', 'Reason: Q.850;cause=21;text="Call Rejected"\r\n')]);
    const sbc = await Sbc.open('127.0.0.30');
    open.push(sbc);
    const a = await sbc.invite({ host: '127.0.0.1', port: s.port }, { calling: '+12025550103', called: '+17735551002' });
    expect([a.status, a.reason, a.headers.get('reason')]).toEqual([603, 'Decline', 'Q.850;cause=21;text="Call Rejected"']);
    expect(s.seen[0]!.from).toBe('127.0.0.30');
    expect(s.seen[0]!.text).toMatch(/^INVITE sip:\+17735551002@127\.0\.0\.1:\d+;user=phone SIP\/2\.0\r\n/);
    expect(s.seen[0]!.text).toContain('\r\nP-Asserted-Identity: <sip:+12025550103@127.0.0.30;user=phone>\r\n');
  });

  it('retransmits an unanswered INVITE, and takes only the answer to its own call', async () => {
    const s = await server((n) => (n === 1 ? undefined : [response('302 Moved Temporarily').replace('$CALLID', 'someone-else'), response('302 Moved Temporarily', 'm: <sip:+17735551003@127.0.0.1>\r\n')]));
    const sbc = await Sbc.open('127.0.0.31');
    open.push(sbc);
    const a = await sbc.invite({ host: '127.0.0.1', port: s.port }, { calling: '+17732641000', called: '+17735551003' });
    expect(a.status).toBe(302);
    expect(a.headers.get('contact')).toBe('<sip:+17735551003@127.0.0.1>');
    expect(s.seen).toHaveLength(2);
    expect(a.tookMs).toBeGreaterThanOrEqual(450);
  });

  it('gives up with the server and the Call-ID when no final answer comes', async () => {
    const s = await server(() => [response('100 Trying')]);
    const sbc = await Sbc.open('127.0.0.32');
    open.push(sbc);
    const err = await sbc.invite({ host: '127.0.0.1', port: s.port }, { calling: '+1', called: '+17735551004' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyTimeoutError);
    expect((err as Error).message).toMatch(new RegExp(`^no final answer from the policy server at 127\\.0\\.0\\.1:${s.port} for Call-ID [0-9a-f]{16}@127\\.0\\.0\\.32$`));
  }, 10_000);

  it('addresses loopback only', async () => {
    await expect(Sbc.open('192.0.2.1')).rejects.toThrow(new NotLoopbackError('192.0.2.1').message);
    const sbc = await Sbc.open('127.0.0.33');
    open.push(sbc);
    await expect(sbc.invite({ host: '198.51.100.7', port: 5060 }, { calling: '+1', called: '+2' })).rejects.toThrow('the simulator sends SIP to loopback only, not to 198.51.100.7');
  });

  it('reads compact header names and ignores what is not a response', () => {
    expect(parseResponse('INVITE sip:x SIP/2.0\r\n\r\n')).toBeUndefined();
    expect(parseResponse('SIP/2.0 200 OK\r\ni: abc\r\nv: SIP/2.0/UDP x\r\n\r\n')?.headers.get('call-id')).toBe('abc');
  });
});

/**
 * `sip.allowFrom` over real sockets: the policy server answers its SBCs and drops everyone else silently —
 * datagrams unanswered, connections closed unread — counting each drop; and warns at start when it listens on
 * a non-loopback address with no list. Other loopback addresses (127.0.0.2) stand in for other peers.
 */
import net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { addressList } from '../../../agent/sip/source-filter.js';
import { startHarness, statusOf, udpClient, type Harness, type UdpClient } from './policy-harness.js';
import { invite } from './messages.js';

let harness: Harness | undefined;
const clients: UdpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await harness?.stop();
  harness = undefined;
});

const refused = (h: Harness, transport: string) => h.metric('hoptrace_sip_refused_total', { source: 'sip', transport, reason: 'not_allowed' });

/** Connects from `localAddress`, sends an INVITE, and resolves with what came back before the server closed. */
function tcpExchange(port: number, localAddress: string): Promise<{ answer: Buffer; closedBy: 'server' | 'timeout' }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port, localAddress }, () => socket.write(invite()));
    const timer = setTimeout(() => (socket.destroy(), resolve({ answer: Buffer.concat(chunks), closedBy: 'timeout' })), 1_500);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => (clearTimeout(timer), resolve({ answer: Buffer.concat(chunks), closedBy: 'server' })));
  });
}

describe('sip.allowFrom', () => {
  it('answers a listed source over UDP, drops an unlisted one unanswered and counts it', async () => {
    harness = await startHarness({ allowFrom: ['127.0.0.1/32'] });
    const sbc = await udpClient('127.0.0.1');
    const stranger = await udpClient('127.0.0.2');
    clients.push(sbc, stranger);
    stranger.send(invite(), harness.port('udp'));
    expect(await stranger.next(500)).toBeNull();
    sbc.send(invite(), harness.port('udp'));
    expect(statusOf(await sbc.next())).toBe(302);
    expect(await refused(harness, 'udp')).toBe(1);
    expect(await harness.metric('hoptrace_sip_requests_total')).toBe(1);
  });

  it('closes an unlisted TCP connection unread, and serves a listed one', async () => {
    harness = await startHarness({ transports: ['tcp'], allowFrom: ['127.0.0.1/32'] });
    const stranger = await tcpExchange(harness.port('tcp'), '127.0.0.2');
    expect(stranger).toEqual({ answer: Buffer.alloc(0), closedBy: 'server' });
    const sbc = await tcpExchange(harness.port('tcp'), '127.0.0.1');
    expect(statusOf(sbc.answer)).toBe(302);
    expect(await refused(harness, 'tcp')).toBe(1);
    expect(await harness.metric('hoptrace_sip_requests_total')).toBe(1);
  });

  it('takes every source when absent', async () => {
    harness = await startHarness();
    const peer = await udpClient('127.0.0.2');
    clients.push(peer);
    peer.send(invite(), harness.port('udp'));
    expect(statusOf(await peer.next())).toBe(302);
    expect(await refused(harness, 'udp')).toBe(0);
  });

  it('warns at start on a non-loopback address with no list, and only then', async () => {
    const warnings = async (o: Parameters<typeof startHarness>[0]) => {
      const lines: { msg: string; setting?: string }[] = [];
      const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
      const h = await startHarness({ ...o, log });
      await h.stop();
      return lines.filter((l) => l.setting === 'sip.allowFrom').map((l) => l.msg);
    };
    expect(await warnings({ host: '0.0.0.0', transports: ['udp', 'tcp'] })).toEqual([
      'listening on a non-loopback address with no sip.allowFrom: any host that reaches it is taken; list your SBCs there or firewall the port',
      'listening on a non-loopback address with no sip.allowFrom: any host that reaches it is taken; list your SBCs there or firewall the port',
    ]);
    expect(await warnings({ host: '0.0.0.0', allowFrom: ['10.0.0.0/8'] })).toEqual([]);
    expect(await warnings({ host: '127.0.0.1' })).toEqual([]);
  });
});

describe('addressList', () => {
  it('matches IPv4 and IPv6 networks, IPv4-mapped sources as IPv4, and nothing that is not an address', () => {
    const listed = addressList(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7/32']);
    expect(['10.1.2.3', '::ffff:10.9.9.9', '2001:db8::5', '192.0.2.7'].map(listed)).toEqual([true, true, true, true]);
    expect(['11.0.0.1', '192.0.2.8', '2001:db9::1', '::1', 'sbc.example', ''].map(listed)).toEqual([false, false, false, false, false, false]);
    expect(addressList([])('10.0.0.1')).toBe(false);
  });
});

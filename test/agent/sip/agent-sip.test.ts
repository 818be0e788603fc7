/**
 * The SIP settings of a real agent started from a configuration file: the SHAKEN certificate directory reaches
 * every call source (policy server, HEP over TCP, drachtio), PAI is believed only from the peers of
 * `sip.trustPaiFrom`, and the TCP limits of `sip.tcp` hold. Bad settings stop the agent before it starts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../../../agent/agent.js';
import type { CallRecord } from '../../../agent/calls/record.js';
import { ConfigError, loadAgentConfig } from '../../../config/load.js';
import { freePort } from '../../helpers/redis.js';
import { FakeDrachtio } from './fake-drachtio.js';
import { mirrored } from './hep-packets.js';
import { BASE_HEADERS, sip } from './messages.js';
import { headerOf, statusOf, udpClient, type UdpClient } from './policy-harness.js';
import { CALLED, CALLING, certDir, claimsFor, identityHeader, passport, x5uOf } from './shaken.js';

const LIST = fileURLToPath(new URL('../../fixtures/dno/list-sample.csv', import.meta.url));
/** On the sample DNO list. */
const LISTED = '+12025550100';
const silent = pino({ level: 'silent' });
const VERIFIED = { attest: 'A', origid: claimsFor(0).origid, signer: '709J', verified: true };

let work: string;
let certs: { dir: string; remove: () => void };
let fake: FakeDrachtio;
let agent: RunningAgent;
let hepPort: number;
const clients: UdpClient[] = [];

/** A new UDP peer (its own port) on `host`: 127.0.0.1 is trusted for PAI, 127.0.0.2 is not. */
async function peer(host = '127.0.0.1'): Promise<UdpClient> {
  const client = await udpClient(host);
  clients.push(client);
  return client;
}

function writeConfig(yaml: string): string {
  const file = join(work, `agent-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** An INVITE to CALLED with From = CALLING, the given Call-ID and extra headers. */
function inviteOf(callId: string, extra: readonly string[] = []): Buffer {
  return sip([
    `INVITE sip:${CALLED}@192.0.2.10;user=phone SIP/2.0`,
    ...BASE_HEADERS.filter((h) => !/^(Call-ID|From)/.test(h)),
    `From: <sip:${CALLING}@198.51.100.7;user=phone>;tag=${callId}`,
    `Call-ID: ${callId}`,
    ...extra,
    'Content-Length: 0',
  ]);
}

const signed = () => `Identity: ${identityHeader(passport(claimsFor(Math.floor(Date.now() / 1000))), x5uOf('sp'))}`;

/** The call the agent indexed from this ingress (the index keeps no Call-ID here: each test uses its own peer port). */
async function indexed(ip: string, port: number): Promise<CallRecord> {
  let found: CallRecord | undefined;
  await expect
    .poll(async () => {
      const now = Date.now();
      found = (await agent.index.lookup(CALLED, now - 60_000, now + 60_000, 100)).find((r) => r.ingress.ip === ip && r.ingress.port === port);
      return found !== undefined;
    }, { timeout: 5_000 })
    .toBe(true);
  return found as CallRecord;
}

async function sendHep(packet: Buffer): Promise<void> {
  const socket = net.connect(hepPort, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  await new Promise<void>((resolve) => socket.end(packet, resolve));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hoptrace-agent-sip-'));
  certs = certDir(['sp']);
  fake = await FakeDrachtio.start('s3cret');
  hepPort = await freePort();
  const file = writeConfig(`
provider: sip-settings
http: { listen: 127.0.0.1:0 }
dno: { file: ${LIST} }
sip:
  listen: [udp:127.0.0.1:0, tcp:127.0.0.1:0]
  trustPaiFrom: [127.0.0.1, 203.0.113.0/24]
  tcp: { maxMessageBytes: 2048, idleSec: 1, maxConnections: 3 }
  shaken: { certDir: ${certs.dir}, maxSkewSec: 30 }
hep: { listen: tcp:127.0.0.1:${hepPort} }
drachtio: { host: 127.0.0.1, port: ${fake.port}, secret: s3cret }
`);
  agent = await startAgent(loadAgentConfig({ file, env: {} }).config, silent);
  await fake.ready();
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await agent?.stop();
  await fake?.close();
  certs?.remove();
  rmSync(work, { recursive: true, force: true });
});

/** A sample's value from the agent's /metrics; 0 when absent. */
async function metric(sample: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

const udpPort = () => agent.sip!.listeners.find((l) => l.transport === 'udp')!.port;
const tcpPort = () => agent.sip!.listeners.find((l) => l.transport === 'tcp')!.port;

describe('sip.shaken.certDir: Identity verified on every call source', () => {
  it('policy server', async () => {
    const sbc = await peer();
    sbc.send(inviteOf('shaken-sip', [signed()]), udpPort());
    expect(statusOf(await sbc.next(5_000))).toBe(302);
    expect((await indexed('127.0.0.1', sbc.port)).identity).toEqual(VERIFIED);
  });

  it('HEP over TCP', async () => {
    await sendHep(mirrored({ src: '203.0.113.5', srcPort: 5061, dst: '192.0.2.10', dstPort: 5060, payload: inviteOf('shaken-hep', [signed()]) }));
    const record = await indexed('203.0.113.5', 5061);
    expect([record.source, record.identity]).toEqual(['hep', VERIFIED]);
  });

  it('drachtio', async () => {
    const response = await fake.invite(inviteOf('shaken-drachtio', [signed()]).toString('latin1'), { address: '203.0.113.5', port: 5062 });
    expect(response.split('\r\n')[0]).toBe('SIP/2.0 302 Moved Temporarily');
    const record = await indexed('203.0.113.5', 5062);
    expect([record.source, record.identity]).toEqual(['drachtio', VERIFIED]);
  });

  it('maxSkewSec from the file: a PASSporT signed 45 s before the call fails verification', async () => {
    const old = `Identity: ${identityHeader(passport(claimsFor(Math.floor(Date.now() / 1000) - 45)), x5uOf('sp'))}`;
    const sbc = await peer();
    sbc.send(inviteOf('shaken-skew', [old]), udpPort());
    expect(statusOf(await sbc.next(5_000))).toBe(302);
    const { identity } = await indexed('127.0.0.1', sbc.port);
    expect([identity?.verified, identity?.reason]).toEqual([false, expect.stringMatching(/^iat is 4[5-7] s from the call time \(max 30 s\)$/)]);
  });
});

describe('sip.trustPaiFrom: P-Asserted-Identity only from trusted peers', () => {
  const pai = `P-Asserted-Identity: <tel:${LISTED}>`;

  it('a trusted peer\'s PAI is the calling number: the listed caller is declined', async () => {
    const sbc = await peer('127.0.0.1');
    sbc.send(inviteOf('pai-trusted', [pai]), udpPort());
    const answer = await sbc.next(5_000);
    expect([statusOf(answer), headerOf(answer, 'Reason')]).toEqual([603, 'Q.850;cause=21;text="Call Rejected"']);
    expect((await indexed('127.0.0.1', sbc.port)).calling).toBe(LISTED);
  });

  it('another peer\'s PAI is ignored and From decides: the clean From is redirected', async () => {
    const stranger = await peer('127.0.0.2');
    stranger.send(inviteOf('pai-untrusted', [pai]), udpPort());
    expect(statusOf(await stranger.next(5_000))).toBe(302);
    expect((await indexed('127.0.0.2', stranger.port)).calling).toBe(CALLING);
  });

  it('HEP: the mirrored packet\'s source is the peer', async () => {
    await sendHep(mirrored({ src: '198.51.100.9', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, payload: inviteOf('pai-hep-untrusted', [pai]) }));
    await sendHep(mirrored({ src: '203.0.113.9', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, payload: inviteOf('pai-hep-trusted', [pai]) }));
    expect((await indexed('198.51.100.9', 5060)).calling).toBe(CALLING);
    expect((await indexed('203.0.113.9', 5060)).calling).toBe(LISTED);
  });

  it('drachtio: the network source drachtio-server reports is the peer', async () => {
    const declined = await fake.invite(inviteOf('pai-drachtio-trusted', [pai]).toString('latin1'), { address: '203.0.113.5', port: 5060 });
    const redirected = await fake.invite(inviteOf('pai-drachtio-untrusted', [pai]).toString('latin1'), { address: '192.0.2.99', port: 5060 });
    expect([declined.split('\r\n')[0], redirected.split('\r\n')[0]]).toEqual(['SIP/2.0 603 Decline', 'SIP/2.0 302 Moved Temporarily']);
  });
});

/** Opens a TCP connection to the policy server; resolves with what it received until the server closed it. */
function tcpSession(send?: Buffer): { closed: Promise<Buffer>; socket: net.Socket } {
  const socket = net.connect(tcpPort(), '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c) => chunks.push(c));
  socket.on('error', () => {});
  if (send) socket.write(send);
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks)))) };
}

describe('sip.tcp limits from the file', () => {
  it('maxMessageBytes: a message over 2,048 bytes closes the connection unanswered', async () => {
    const big = inviteOf('tcp-big', [`X-Padding: ${'p'.repeat(2_100)}`]);
    const { closed } = tcpSession(big);
    expect((await closed).length).toBe(0);
    await expect.poll(() => metric('hoptrace_sip_tcp_closed_total{reason="oversize"}')).toBe(1);
  });

  it('a message under the cap is answered on the same connection', async () => {
    const { socket, closed } = tcpSession(inviteOf('tcp-small'));
    const answer = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.destroy();
    await closed;
    expect(statusOf(answer)).toBe(302);
  });

  it('idleSec: a silent connection is closed after about 1 s', async () => {
    const began = Date.now();
    const { closed } = tcpSession();
    await closed;
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);
    expect(Date.now() - began).toBeLessThan(4_000);
  });

  it('maxConnections: a fourth connection at once is refused', async () => {
    const open = [tcpSession(), tcpSession(), tcpSession()];
    await Promise.all(open.map(({ socket }) => new Promise((resolve) => socket.once('connect', resolve))));
    // Let the server count the three before the fourth arrives.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fourth = tcpSession(inviteOf('tcp-fourth'));
    expect((await fourth.closed).length).toBe(0);
    const first = open[0]!;
    first.socket.write(inviteOf('tcp-first'));
    const answer = await new Promise<Buffer>((resolve) => first.socket.once('data', resolve));
    expect(statusOf(answer)).toBe(302);
    for (const { socket } of open) socket.destroy();
    await Promise.all(open.map((s) => s.closed));
  });
});

describe('the agent\'s /metrics count what the policy server did', () => {
  it('INVITEs by source, action and DNO category; parse errors by answer; the response-time histogram', async () => {
    const samples = [
      'hoptrace_sip_invites_total{source="sip",action="block",category="listed"}',
      'hoptrace_sip_invites_total{source="sip",action="continue",category="none"}',
      'hoptrace_sip_parse_errors_total{source="sip",code="400"}',
      'hoptrace_sip_requests_total{source="sip",method="ACK"}',
      'hoptrace_sip_response_seconds_count',
    ];
    const read = () => Promise.all(samples.map(metric));
    const before = await read();
    const sbc = await peer();
    sbc.send(inviteOf('metrics-listed', [`P-Asserted-Identity: <tel:${LISTED}>`]), udpPort());
    sbc.send(inviteOf('metrics-clean'), udpPort());
    sbc.send(Buffer.from(inviteOf('metrics-bad').toString('latin1').replace(/\r\nCall-ID: [^\r]*/, ''), 'latin1'), udpPort());
    sbc.send(Buffer.from(`ACK sip:${CALLED}@192.0.2.10 SIP/2.0\r\n\r\n`, 'latin1'), udpPort());
    const statuses = [statusOf(await sbc.next(5_000)), statusOf(await sbc.next(5_000)), statusOf(await sbc.next(5_000))];
    expect(statuses).toEqual([603, 302, 400]);
    await expect.poll(async () => (await read()).map((v, i) => v - (before[i] as number))).toEqual([1, 1, 1, 1, 3]);
  });
});

describe('bad SIP settings stop the agent before anything starts', () => {
  const base = `provider: bad\nhttp: { listen: 127.0.0.1:0 }\n`;
  const refused = (yaml: string) => {
    try {
      loadAgentConfig({ file: writeConfig(base + yaml), env: {} });
    } catch (err) {
      return err instanceof ConfigError ? err.message : `not a ConfigError: ${String(err)}`;
    }
    return 'accepted';
  };

  it.each([
    ['sip: { trustPaiFrom: [10.0.0.1/8] }', 'config error at sip.trustPaiFrom[0]'],
    ['sip: { trustPaiFrom: [10.0.0.1/8] }', 'host bits set: the network is 10.0.0.0/8'],
    ['sip: { tcp: { maxMessageBytes: 100000 } }', 'config error at sip.tcp.maxMessageBytes'],
    ['sip: { shaken: { maxSkewSec: 0 } }', 'config error at sip.shaken.maxSkewSec'],
    ['hep: { listen: "sctp:127.0.0.1:9060" }', 'config error at hep.listen'],
  ])('%s → %s', (yaml, message) => {
    expect(refused(yaml)).toContain(message);
  });

  it('a certificate directory that does not exist: ConfigError naming the setting, and no listener left bound', async () => {
    const port = await freePort();
    const file = writeConfig(`${base}sip: { listen: [tcp:127.0.0.1:${port}], shaken: { certDir: ${join(work, 'missing')} } }\n`);
    const started = startAgent(loadAgentConfig({ file, env: {} }).config, silent);
    await expect(started).rejects.toThrow(`config error at sip.shaken.certDir: ${join(work, 'missing')}: does not exist`);
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => probe.close(resolve));
  });
});

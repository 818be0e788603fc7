/**
 * The access settings of a real agent started from a configuration file: `sip.allowFrom`, `hep.allowFrom` and
 * `hep.authKey` reach the listeners, and each drop shows in the agent's /metrics.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../../../agent/agent.js';
import { loadAgentConfig } from '../../../config/load.js';
import { freePort } from '../../helpers/redis.js';
import { chunk, hepPacket, mirroredChunks } from './hep-packets.js';
import { invite } from './messages.js';
import { statusOf, udpClient, type UdpClient } from './policy-harness.js';

let work: string;
let agent: RunningAgent;
let hepPort: number;
const clients: UdpClient[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hoptrace-agent-access-'));
  hepPort = await freePort();
  const file = join(work, 'agent.yaml');
  writeFileSync(
    file,
    `provider: access-settings
http: { listen: 127.0.0.1:0 }
sip: { listen: [udp:127.0.0.1:0], allowFrom: [127.0.0.1/32] }
hep: { listen: udp:127.0.0.1:${hepPort}, allowFrom: [127.0.0.1/32], authKey: capture-s3cret }
`,
  );
  agent = await startAgent(loadAgentConfig({ file, env: {} }).config, pino({ level: 'silent' }));
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await agent?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function metric(sample: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

async function sendHep(from: string, key?: string): Promise<void> {
  const chunks = mirroredChunks({ src: '203.0.113.5', srcPort: 5060, dst: '192.0.2.10', dstPort: 5060, payload: invite() });
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  const packet = hepPacket(key === undefined ? chunks : [chunk(14, Buffer.from(key)), ...chunks]);
  await new Promise<void>((resolve) => socket.send(packet, hepPort, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

describe('an agent with allow-lists and a HEP auth key', () => {
  it('answers its SBC, drops another source unanswered, and counts the drop', async () => {
    const port = agent.sip!.listeners[0]!.port;
    const [sbc, stranger] = [await udpClient('127.0.0.1'), await udpClient('127.0.0.2')];
    clients.push(sbc, stranger);
    stranger.send(invite(), port);
    sbc.send(invite(), port);
    expect(statusOf(await sbc.next(5_000))).toBe(302);
    expect(await stranger.next(300)).toBeNull();
    expect(await metric('hoptrace_sip_refused_total{source="sip",transport="udp",reason="not_allowed"}')).toBe(1);
  });

  it('learns HEP only from a listed capture agent carrying the key', async () => {
    await sendHep('127.0.0.2', 'capture-s3cret');
    await sendHep('127.0.0.1', 'wrong');
    await sendHep('127.0.0.1', 'capture-s3cret');
    await expect.poll(() => metric('hoptrace_hep_packets_total{outcome="invite"}'), { timeout: 5_000 }).toBe(1);
    expect(await metric('hoptrace_sip_refused_total{source="hep",transport="udp",reason="not_allowed"}')).toBe(1);
    expect(await metric('hoptrace_sip_refused_total{source="hep",transport="udp",reason="bad_auth"}')).toBe(1);
  });
});

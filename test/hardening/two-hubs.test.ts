/**
 * Scale past one hub process: two hub instances (startHub, one signing key) share one Redis and split the
 * work. Tracebacks are started through either; each agent pulls from one of them only. Every case ends once,
 * with the right outcome, each hop asked exactly once, and both instances did part of the work.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubConfig } from '../../config/hub.js';
import { HubClient } from '../../hub/client.js';
import { startHub, type RunningHub } from '../../hub/server.js';
import { generateKeyPair, privateKeyToPem } from '../../proto/keys.js';
import { provider, startScriptedAgent, type ScriptedAgent } from '../hub/harness.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tokensFile } from './tokens-file.js';

const CASES = 40;
let redis: RedisServer;
const hubs: RunningHub[] = [];
const logs: Record<string, unknown>[][] = [[], []];
const agents: ScriptedAgent[] = [];
const { file: tokenFile, tokens } = tokensFile({ ops: ['admin'] });
const token = tokens.ops;

beforeAll(async () => {
  redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-two-hubs-'));
  const keyFile = join(dir, 'hub.pem');
  writeFileSync(keyFile, privateKeyToPem(generateKeyPair().privateKey));
  for (const i of [0, 1]) {
    const log = pino({ level: 'info' }, { write: (line: string) => void logs[i]!.push(JSON.parse(line) as Record<string, unknown>) });
    const cfg = HubConfig.parse({ http: { listen: '127.0.0.1:0' }, redis: { url: redis.url }, keys: { privateKeyFile: keyFile, kid: 'hub-k1' }, tokens: { file: tokenFile }, deadlines: { agentSec: 30 } });
    hubs.push(await startHub(cfg, log));
  }
  // Registered before their agents first poll: an unknown key is refused, and a refused agent backs off.
  const keys = { term: generateKeyPair('term-k1'), mid: generateKeyPair('mid-k1') };
  const api = new HubClient(hubs[0]!.url, token);
  for (const [id, key] of Object.entries(keys)) await api.addProvider(provider(id, key));
  await api.close();
  // term pulls from hub 0, mid from hub 1: an answer taken in by one instance moves a case the other started.
  agents.push(
    startScriptedAgent({ url: hubs[0]!.url, key: hubs[0]!.key }, 'term', () => ({ result: 'upstream', upstream: 'mid' }), keys.term),
    startScriptedAgent({ url: hubs[1]!.url, key: hubs[1]!.key }, 'mid', () => ({ result: 'originated' }), keys.mid),
  );
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  for (const h of hubs) await h.stop();
  await redis?.stop();
});

describe('two hub instances sharing one Redis', () => {
  it(`trace ${CASES} calls started through either, each case processed once with the right outcome`, async () => {
    const ids: string[] = [];
    const clients = hubs.map((h) => new HubClient(h.url, token));
    try {
      for (let i = 0; i < CASES; i++) {
        const at = new Date(Date.now() - 60_000).toISOString();
        ids.push((await clients[i % 2]!.startTraceback({ call: { calling: '+13125550117', called: `+1202555${String(1000 + i)}`, at }, firstProvider: 'term' })).id);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    // Read from the shared store (through the other instance's hub), not the API: polling would meet the rate limit.
    const read = () => Promise.all(ids.map(async (id) => (await hubs[1]!.hub.getCase(id))!));
    const until = Date.now() + 40_000;
    let cases = await read();
    while (cases.some((c) => c.status === 'open') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      cases = await read();
    }
    expect(cases.map((c) => c.status)).toEqual(Array(CASES).fill('originated'));
    expect(cases.every((c) => c.hops.map((h) => h.provider).join('>') === 'term>mid')).toBe(true);
    // Each hop asked once: no query sent twice by the two instances, none answered twice.
    for (const a of agents) {
      expect(a.asked.map((q) => q.tracebackId).sort()).toEqual([...ids].sort());
      expect(new Set(a.asked.map((q) => q.queryId)).size).toBe(CASES);
    }
    // Each case ended once, by one instance or the other.
    const ended = logs.flat().filter((l) => l.msg === 'traceback ended').map((l) => l.caseId as string);
    expect(ended.sort()).toEqual([...ids].sort());
    // Both instances did part of the work: each took in answers.
    for (const lines of logs) expect(lines.filter((l) => l.msg === 'hop answered').length).toBeGreaterThan(0);
  }, 60_000);
});

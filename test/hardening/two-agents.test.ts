/**
 * Scale past one agent process: two instances of one provider's agent (startAgent, same provider id and signing
 * key) share one Redis — the call index, the DNO cache, the replay store — and long-poll the same hub. Every
 * hop query is taken by one instance or the other, answered once, and both instances do part of the work.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../agent/agent.js';
import { openCallIndex } from '../../agent/calls/open.js';
import type { CallRecord } from '../../agent/calls/record.js';
import { AgentConfig } from '../../config/agent.js';
import { HubConfig } from '../../config/hub.js';
import { HubClient } from '../../hub/client.js';
import { startHub, type RunningHub } from '../../hub/server.js';
import { generateKeyPair, privateKeyToPem, publicKeyToRaw } from '../../proto/keys.js';
import { provider } from '../hub/harness.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tokensFile } from './tokens-file.js';

const CASES = 40;
const CALLING = '+13125550117';
const calledOf = (i: number) => `+1202555${String(1000 + i)}`;
type Line = Record<string, unknown>;

let hubRedis: RedisServer;
let siteRedis: RedisServer;
let hub: RunningHub;
const hubLog: Line[] = [];
const agentLogs: Line[][] = [[], []];
const agents: RunningAgent[] = [];
const { file: tokenFile, tokens } = tokensFile({ ops: ['admin'] });
const token = tokens.ops;
const at = Date.now() - 60_000;

const capture = (into: Line[]) => pino({ level: 'info' }, { write: (line: string) => void into.push(JSON.parse(line) as Line) });

beforeAll(async () => {
  [hubRedis, siteRedis] = await Promise.all([startRedis(), startRedis()]);
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-two-agents-'));
  const hubKeyFile = join(dir, 'hub.pem');
  writeFileSync(hubKeyFile, privateKeyToPem(generateKeyPair('hub-k1').privateKey));
  const hubCfg = HubConfig.parse({ http: { listen: '127.0.0.1:0' }, redis: { url: hubRedis.url }, keys: { privateKeyFile: hubKeyFile, kid: 'hub-k1' }, tokens: { file: tokenFile }, deadlines: { agentSec: 30 } });
  hub = await startHub(hubCfg, capture(hubLog));

  // One provider, one key: the two instances are interchangeable to the hub.
  const key = generateKeyPair('p-k1');
  const keyFile = join(dir, 'p.pem');
  writeFileSync(keyFile, privateKeyToPem(key.privateKey), { mode: 0o600 });
  const api = new HubClient(hub.url, token);
  await api.addProvider(provider('p', key));
  await api.close();

  // The site's SIP source wrote every call into the shared index: each entered from P's own customer.
  const index = openCallIndex({ redisUrl: siteRedis.url, retentionDays: 30, bucketSec: 3600 });
  const calls: CallRecord[] = Array.from({ length: CASES }, (_, i) => ({ at, calling: CALLING, called: calledOf(i), source: 'sip', ingress: { ip: '203.0.113.9' } }));
  await index.add(calls);
  await index.close();

  const agentCfg = AgentConfig.parse({
    provider: 'p',
    hub: { url: hub.url, id: 'hub', publicKeys: [publicKeyToRaw(hub.key.publicKey)], pollWaitSec: 2 },
    keys: { privateKeyFile: keyFile, kid: key.kid },
    redis: { url: siteRedis.url },
    http: { listen: '127.0.0.1:0' },
    ingress: { map: [{ match: { cidr: '203.0.113.0/24' }, target: { customer: { account: 'acct-1', name: 'Own Customer' } } }] },
  });
  for (const i of [0, 1]) agents.push(await startAgent(agentCfg, capture(agentLogs[i]!)));
}, 30_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await hub?.stop();
  await Promise.all([hubRedis?.stop(), siteRedis?.stop()]);
});

describe('two agent instances of one provider sharing one Redis', () => {
  it(`answer ${CASES} hop queries between them, each exactly once`, async () => {
    const api = new HubClient(hub.url, token);
    const ids: string[] = [];
    try {
      for (let i = 0; i < CASES; i++) {
        ids.push((await api.startTraceback({ call: { calling: CALLING, called: calledOf(i), at: new Date(at).toISOString() }, firstProvider: 'p' })).id);
      }
    } finally {
      await api.close();
    }
    // Read from the store, not the API: polling 40 cases would meet the rate limit.
    const read = () => Promise.all(ids.map(async (id) => (await hub.hub.getCase(id))!));
    const until = Date.now() + 20_000;
    let cases = await read();
    while (cases.some((c) => c.status === 'open') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      cases = await read();
    }
    expect(cases.map((c) => c.status)).toEqual(Array(CASES).fill('originated'));
    for (const c of cases) {
      expect(c.hops.map((h) => [h.provider, h.state, h.attempts.length, h.answer?.result])).toEqual([['p', 'answered', 1, 'originated']]);
      expect(c.hops[0]!.answer!.matches[0]!.customer).toEqual({ account: 'acct-1', name: 'Own Customer' });
    }

    // Each query answered by exactly one instance: no query id twice across the two, every case covered.
    const answered = agentLogs.map((lines) => lines.filter((l) => l.audit === 'hop-answer'));
    const queryIds = answered.flat().map((l) => l.queryId as string);
    expect(queryIds).toHaveLength(CASES);
    expect(new Set(queryIds).size).toBe(CASES);
    expect(answered.flat().map((l) => l.caseId as string).sort()).toEqual([...ids].sort());
    // Both instances did part of the work.
    for (const lines of answered) expect(lines.length).toBeGreaterThan(0);
    // The hub took in one answer per case and ended each case once.
    const hubAnswered = hubLog.filter((l) => l.msg === 'hop answered').map((l) => l.caseId as string);
    expect(hubAnswered.sort()).toEqual([...ids].sort());
    const ended = hubLog.filter((l) => l.msg === 'traceback ended').map((l) => l.caseId as string);
    expect(ended.sort()).toEqual([...ids].sort());
    // Nothing refused, nothing failed on either instance (a replay or a lost answer would show here).
    for (const lines of agentLogs) expect(lines.filter((l) => (l.level as number) >= 40).map((l) => l.msg)).toEqual([]);
  }, 30_000);
});

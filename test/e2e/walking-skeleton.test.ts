/**
 * The spine, end to end, across process boundaries as in production: a hub and three carriers' agents, each its
 * own process with its own Redis. The call entered A from A's customer, A handed it to B (trunk group), B to C
 * (peer IP), and C terminated it. A traceback started at C must end `originated` at A after three hops, every
 * answer signed by its agent and verifiable offline.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import YAML from 'yaml';
import { openCallIndex } from '../../agent/calls/open.js';
import type { CallRecord } from '../../agent/calls/record.js';
import { hashToken, newToken } from '../../hub/auth.js';
import { HubClient } from '../../hub/client.js';
import { verifyOffline } from '../../proto/envelope.js';
import { generateKeyPair, type KeyPair, privateKeyToPem, publicKeyToRaw } from '../../proto/keys.js';
import { runCli, type Proc } from '../helpers/proc.js';
import { freePort, type RedisServer, startRedis } from '../helpers/redis.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };
const T = Date.parse(CALL.at);

interface Carrier {
  id: string;
  key: KeyPair;
  redis: RedisServer;
  proc?: Proc;
  /** The leg of the call this carrier saw, a few seconds off: carriers' clocks differ. */
  leg: CallRecord;
  ingress: unknown[];
}

const dir = mkdtempSync(join(tmpdir(), 'hoptrace-e2e-'));
const hubKey = generateKeyPair('hub-1');
const token = newToken();
let hubRedis: RedisServer;
let hub: Proc;
let hubUrl: string;
let api: HubClient;
const carriers: Carrier[] = [];

function writeYaml(name: string, doc: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, YAML.stringify(doc));
  return file;
}

function writeKey(name: string, key: KeyPair): string {
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, privateKeyToPem(key.privateKey), { mode: 0o600 });
  return file;
}

async function startAgent(c: Carrier): Promise<void> {
  const config = writeYaml(`${c.id}.yaml`, {
    provider: c.id,
    hub: { url: hubUrl, id: 'hub', publicKeys: [publicKeyToRaw(hubKey.publicKey)], pollWaitSec: 5 },
    keys: { privateKeyFile: writeKey(c.id, c.key), kid: c.key.kid },
    redis: { url: c.redis.url },
    http: { listen: '127.0.0.1:0' },
    ingress: { map: c.ingress },
  });
  c.proc = runCli('agent/cli.ts', ['--config', config]);
  await c.proc.waitFor(/polling the hub/);
}

beforeAll(async () => {
  const [a, b, cc] = await Promise.all([startRedis(), startRedis(), startRedis()]);
  hubRedis = await startRedis();
  const leg = (source: CallRecord['source'], dtMs: number, ingress: CallRecord['ingress']): CallRecord => ({
    at: T + dtMs,
    calling: CALL.calling,
    called: CALL.called,
    source,
    ingress,
  });
  carriers.push(
    { id: 'carrier-a', key: generateKeyPair(), redis: a!, leg: leg('cdr:asterisk', -2000, { ip: '203.0.113.10', trunkGroup: 'PJSIP/cust-7731' }), ingress: [{ match: { trunkGroup: 'PJSIP/cust-7731' }, target: { customer: { account: 'acct-7731', name: 'Dialer LLC' } } }] },
    { id: 'carrier-b', key: generateKeyPair(), redis: b!, leg: leg('cdr:ribbon', 1000, { trunkGroup: 'TG_CARRIER_A', ip: '198.51.100.7' }), ingress: [{ match: { trunkGroup: 'TG_CARRIER_A' }, target: { upstream: { providerId: 'carrier-a', name: 'Carrier A' } } }] },
    { id: 'carrier-c', key: generateKeyPair(), redis: cc!, leg: leg('sip', 0, { ip: '198.51.100.20', port: 5060 }), ingress: [{ match: { cidr: '198.51.100.0/28' }, target: { upstream: { providerId: 'nowhere', name: 'wrong, less specific' } } }, { match: { cidr: '198.51.100.20/32' }, target: { upstream: { providerId: 'carrier-b', name: 'Carrier B' } } }] },
  );
  // Each carrier's own index holds its leg of the call (as its SIP/CDR sources would have written it).
  for (const c of carriers) {
    const index = openCallIndex({ redisUrl: c.redis.url, retentionDays: 30, bucketSec: 3600 });
    await index.add([c.leg]);
    await index.close();
  }

  const port = await freePort();
  hubUrl = `http://127.0.0.1:${port}`;
  const hubConfig = writeYaml('hub.yaml', {
    http: { listen: `127.0.0.1:${port}` },
    id: 'hub',
    keys: { privateKeyFile: writeKey('hub', hubKey), kid: hubKey.kid },
    redis: { url: hubRedis.url },
    deadlines: { agentSec: 1, agentRetries: 1 },
    tokens: { file: writeYaml('tokens.yaml', [{ id: 'ops', roles: ['admin'], sha256: hashToken(token) }]) },
    providersFile: writeYaml(
      'providers.yaml',
      carriers.map((c) => ({ id: c.id, name: c.id.toUpperCase(), reach: 'agent-pull', keys: [{ kid: c.key.kid, publicKey: publicKeyToRaw(c.key.publicKey) }] })),
    ),
  });
  hub = runCli('hub/cli.ts', ['serve', '--config', hubConfig]);
  await hub.waitFor(/hub listening/);
  api = new HubClient(hubUrl, token);
  await Promise.all(carriers.map(startAgent));
}, 120_000);

afterAll(async () => {
  await Promise.all(carriers.map((c) => c.proc?.kill()));
  await hub?.kill();
  await Promise.all([...carriers.map((c) => c.redis.stop()), hubRedis?.stop()]);
});

describe('walking skeleton: hub + three agents as separate processes', () => {
  it('traces a call from the terminating carrier back to the originating carrier in three signed hops', async () => {
    const started = await api.startTraceback({ call: CALL, firstProvider: 'carrier-c' });
    const done = await api.waitForEnd(started.id, 20_000);

    expect(done.status).toBe('originated');
    expect(done.originator).toBe('carrier-a');
    expect(done.hops.map((h) => [h.provider, h.askedBy, h.answer?.result])).toEqual([
      ['carrier-c', null, 'upstream'],
      ['carrier-b', 'carrier-c', 'upstream'],
      ['carrier-a', 'carrier-b', 'originated'],
    ]);
    // The longest-prefix rule picked B's /32 over the /28; A disclosed its customer as configured.
    expect(done.hops[0]?.answer?.matches[0]?.upstream).toEqual({ providerId: 'carrier-b', name: 'Carrier B' });
    expect(done.hops[2]?.answer?.matches[0]?.customer).toEqual({ account: 'acct-7731', name: 'Dialer LLC' });
    expect(done.hops[1]?.answer?.matches[0]?.source).toBe('cdr:ribbon');

    // Evidence: each answer is its agent's signature over exactly what the hub recorded.
    for (const [i, c] of [carriers[2]!, carriers[1]!, carriers[0]!].entries()) {
      const hop = done.hops[i]!;
      const v = verifyOffline(hop.answerJws!, [c.key.publicKey]);
      expect(v.claims.iss).toBe(c.id);
      expect(v.body).toEqual(hop.answer);
      const other = carriers.find((x) => x !== c)!;
      expect(() => verifyOffline(hop.answerJws!, [other.key.publicKey])).toThrow(/bad-signature/);
    }

    // Every agent logged its answer for the audit trail; the hub's log lines carry the case id. Log lines are
    // written out in batches (config/log.ts): wait for them, the hub's up to its line that the case ended.
    for (const c of carriers) await c.proc!.waitFor(new RegExp(`(?=.*"audit":"hop-answer")(?=.*${started.id})`), 5_000);
    await hub.waitFor(new RegExp(`(?=.*"msg":"traceback ended")(?=.*${started.id})`), 5_000);
    const caseLines = hub.lines.filter((l) => l.includes('"msg":"hop answered"'));
    expect(caseLines.length).toBeGreaterThanOrEqual(3);
    for (const l of caseLines) expect(JSON.parse(l).caseId).toBe(started.id);
  });

  it('ends not_found after the widened retry when the terminating carrier has no record of the call', async () => {
    const started = await api.startTraceback({ call: { ...CALL, called: '+12025550199' }, firstProvider: 'carrier-c' });
    const done = await api.waitForEnd(started.id, 20_000);
    expect(done.status).toBe('not_found');
    expect(done.hops).toHaveLength(1);
    expect(done.hops[0]?.attempts.map((a) => a.windowSec)).toEqual([120, 600]);
    expect(done.hops[0]?.answer?.window).toBeDefined();
  });

  it('ends non_responsive when the named upstream agent is down, after its retry', async () => {
    const b = carriers[1]!;
    await b.proc!.kill('SIGKILL');
    const started = await api.startTraceback({ call: CALL, firstProvider: 'carrier-c' });
    const done = await api.waitForEnd(started.id, 20_000);
    expect(done.status).toBe('non_responsive');
    expect(done.hops.map((h) => [h.provider, h.state])).toEqual([
      ['carrier-c', 'answered'],
      ['carrier-b', 'unanswered'],
    ]);
    expect(done.hops[1]?.attempts.every((a) => a.timedOut)).toBe(true);
    expect(done.detail).toContain('carrier-b did not answer');
  });

  it('refuses unauthenticated and malformed API calls with the reason and starts nothing', async () => {
    const count = async () => (await request(`${hubUrl}/v1/tracebacks`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.body.json()) as { tracebacks: unknown[] }).tracebacks.length;
    const before = await count();
    const anon = new HubClient(hubUrl, 'ht_not-a-token');
    await expect(anon.startTraceback({ call: CALL, firstProvider: 'carrier-c' })).rejects.toThrow(/401: unknown token/);
    await expect(api.startTraceback({ call: { ...CALL, called: '2025550143' }, firstProvider: 'carrier-c' })).rejects.toThrow(
      /400: call.called: must be E.164.*\(at call.called\)/,
    );
    expect(await count()).toBe(before);
  });
});

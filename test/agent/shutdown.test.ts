/**
 * An agent process stopped by SIGTERM (agent/cli.ts, config/shutdown.ts): it takes no more work, lets the work
 * under way finish — a hop answer being posted to the hub, a batch of SIP calls on its way to Redis — and
 * exits 0. The hub here is a stand-in at the HTTP boundary, so that the answer can be held in flight on purpose.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { openCallIndex } from '../../agent/calls/open.js';
import { sign, verifyOffline } from '../../proto/envelope.js';
import { generateKeyPair, privateKeyToPem, publicKeyToRaw } from '../../proto/keys.js';
import type { HopAnswer } from '../../proto/messages.js';
import { runCli, type Proc } from '../helpers/proc.js';
import { freePort, type RedisServer, startRedis } from '../helpers/redis.js';
import { BASE_HEADERS, sip } from './sip/messages.js';
import { statusOf, udpClient } from './sip/policy-harness.js';

const CALLED = '+12025550143';
const hubKey = generateKeyPair('hub-1');
const agentKey = generateKeyPair('site-1');
const dir = mkdtempSync(join(tmpdir(), 'hoptrace-agent-stop-'));
let redis: RedisServer;

function exited(p: Proc): Promise<number | null> {
  if (p.child.exitCode !== null) return Promise.resolve(p.child.exitCode);
  return new Promise((resolve) => p.child.once('exit', (code) => resolve(code)));
}

/** An INVITE from `calling`: the Redis call index keeps no Call-ID, so each test's call has a caller of its own. */
function inviteOf(calling: string): Buffer {
  return sip([
    `INVITE sip:${CALLED}@192.0.2.10;user=phone SIP/2.0`,
    ...BASE_HEADERS.filter((h) => !/^(Call-ID|From)/.test(h)),
    `From: <sip:${calling}@198.51.100.7;user=phone>;tag=${calling.slice(-4)}`,
    `Call-ID: ${randomUUID()}@198.51.100.7`,
    'Content-Length: 0',
  ]);
}

/** Send one INVITE to the agent's policy server and wait for its answer. */
async function placeCall(port: number, calling: string): Promise<number | null> {
  const client = await udpClient();
  try {
    client.send(inviteOf(calling), port);
    return statusOf(await client.next(5_000));
  } finally {
    await client.close();
  }
}

async function indexedCallers(): Promise<string[]> {
  const index = openCallIndex({ redisUrl: redis.url, retentionDays: 1, bucketSec: 3600 });
  try {
    const now = Date.now();
    return (await index.lookup(CALLED, now - 600_000, now + 600_000, 100)).map((r) => r.calling);
  } finally {
    await index.close();
  }
}

/**
 * The hub as an agent sees it: polls wait until the test hands a query out; an answer is held `holdMs` before
 * its 202, and `onAnswer` runs the moment it arrives.
 */
async function standInHub(holdMs: number, onAnswer: () => void) {
  const waiting = new Set<http.ServerResponse>();
  const answers: { jws: string; finished: boolean }[] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/agent/queries') {
      waiting.add(res);
      res.once('close', () => waiting.delete(res));
      return;
    }
    if (req.method === 'POST' && path === '/v1/agent/answers') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // One answer travels as `{ jws }`, several answered together as `{ answers }` (agent/link/outbox.ts).
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { jws?: string; answers?: string[] };
        const answer = { jws: body.jws ?? body.answers![0]!, finished: false };
        answers.push(answer);
        res.once('finish', () => (answer.finished = true));
        onAnswer();
        setTimeout(() => res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"open"}'), holdMs);
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not here"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answers,
    /** Hand a query to the agent's standing poll. */
    async ask(query: unknown): Promise<void> {
      await expect.poll(() => waiting.size, { timeout: 10_000 }).toBeGreaterThan(0);
      const jws = sign(query, { iss: 'hub', aud: 'site-a', typ: 'hop-query', key: hubKey });
      for (const res of waiting) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ queries: [jws] }));
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function agentConfig(name: string, sipPort: number, hubUrl?: string): string {
  const keyFile = join(dir, 'site.pem');
  writeFileSync(keyFile, privateKeyToPem(agentKey.privateKey), { mode: 0o600 });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    YAML.stringify({
      provider: 'site-a',
      redis: { url: redis.url },
      sip: { listen: [`udp:127.0.0.1:${sipPort}`] },
      http: { listen: '127.0.0.1:0' },
      ingress: { map: [{ match: { cidr: '127.0.0.0/8' }, target: { upstream: { providerId: 'carrier-up', name: 'Upstream Carrier' } } }] },
      ...(hubUrl && {
        hub: { url: hubUrl, id: 'hub', publicKeys: [publicKeyToRaw(hubKey.publicKey)], pollWaitSec: 5 },
        keys: { privateKeyFile: keyFile, kid: agentKey.kid },
      }),
    }),
  );
  return file;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('agent: graceful stop on SIGTERM', () => {
  it('flushes the SIP calls it recorded but had not yet written, then exits 0', async () => {
    const sipPort = await freePort();
    const agent = runCli('agent/cli.ts', ['--config', agentConfig('sip-only', sipPort)]);
    try {
      await agent.waitFor(/agent started/);
      expect(await placeCall(sipPort, '+13125550161')).toBe(302);
      // At once: the recorder writes its batch every 250 ms, so this call is still in it.
      agent.child.kill('SIGTERM');
      expect(await exited(agent)).toBe(0);
      expect(agent.lines.some((l) => /"msg":"stopped"/.test(l))).toBe(true);
      expect(await indexedCallers()).toContain('+13125550161');
    } finally {
      await agent.kill('SIGKILL');
    }
  }, 60_000);

  it('finishes the hop answer it is posting when the signal comes, then exits 0', async () => {
    let agent: Proc | undefined;
    const hub = await standInHub(700, () => agent?.child.kill('SIGTERM'));
    const sipPort = await freePort();
    agent = runCli('agent/cli.ts', ['--config', agentConfig('with-hub', sipPort, hub.url), '--stop-timeout', '8']);
    try {
      await agent.waitFor(/agent started/);
      expect(await placeCall(sipPort, '+13125550162')).toBe(302);
      await expect.poll(indexedCallers, { timeout: 5_000 }).toContain('+13125550162');

      const queryId = randomUUID();
      await hub.ask({
        queryId,
        tracebackId: randomUUID(),
        call: { calling: '+13125550162', called: CALLED, at: new Date().toISOString(), windowSec: 120 },
        askedBy: null,
        deadline: new Date(Date.now() + 10_000).toISOString(),
      });

      expect(await exited(agent)).toBe(0);
      expect(hub.answers).toHaveLength(1);
      // The hub's 202 reached the agent: the answer was not cut when the stop began.
      expect(hub.answers[0]!.finished).toBe(true);
      const answer = verifyOffline(hub.answers[0]!.jws, [agentKey.publicKey]).body as HopAnswer;
      expect(answer).toMatchObject({ queryId, result: 'upstream', provider: 'site-a' });
      expect(answer.matches[0]?.upstream).toEqual({ providerId: 'carrier-up', name: 'Upstream Carrier' });
      expect(agent.lines.filter((l) => /could not answer|cutting them/.test(l))).toEqual([]);
      expect(agent.lines.some((l) => /"msg":"stopped"/.test(l))).toBe(true);
    } finally {
      await agent.kill('SIGKILL');
      await hub.close();
    }
  }, 60_000);
});

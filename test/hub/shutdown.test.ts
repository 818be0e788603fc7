/**
 * A hub process stopped by SIGTERM (hub/cli.ts, hub/server.ts, config/shutdown.ts): it stops taking
 * connections, answers an agent's standing long polls at once — for hop queries (empty, so the agent polls
 * again) and for DNO list changes (the list as it stands) — lets a request
 * whose body is still arriving finish, and exits 0.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { hashToken, newToken } from '../../hub/auth.js';
import { DNO_POLL_TYPE } from '../../proto/dno-sync.js';
import { sign } from '../../proto/envelope.js';
import { generateKeyPair, publicKeyToRaw } from '../../proto/keys.js';
import { runCli } from '../helpers/proc.js';
import { freePort } from '../helpers/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'hoptrace-hub-stop-'));
const agentKey = generateKeyPair('term-1');
const token = newToken();

function writeYaml(name: string, doc: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, YAML.stringify(doc));
  return file;
}

/** POST a traceback whose body arrives in two parts; `between` runs after the first part reached the hub. */
function slowTraceback(port: number, between: () => Promise<void>): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ call: { calling: '+13125550117', called: '+12025550143', at: new Date().toISOString() }, firstProvider: 'term' });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/tracebacks', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 20));
    void between().then(() => req.end(body.slice(20)), reject);
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

describe('hub: graceful stop on SIGTERM', () => {
  it('answers the standing long polls, finishes a request under way, refuses new connections and exits 0', async () => {
    const port = await freePort();
    const config = writeYaml('hub.yaml', {
      http: { listen: `127.0.0.1:${port}` },
      tokens: { file: writeYaml('tokens.yaml', [{ id: 'ops', roles: ['admin'], sha256: hashToken(token) }]) },
      providersFile: writeYaml('providers.yaml', [{ id: 'term', name: 'Terminating', reach: 'agent-pull', keys: [{ kid: agentKey.kid, publicKey: publicKeyToRaw(agentKey.publicKey) }] }]),
    });
    const hub = runCli('hub/cli.ts', ['serve', '--config', config, '--stop-timeout', '6']);
    try {
      await hub.waitFor(/hub listening/);
      const poll = sign({}, { iss: 'term', aud: 'hub', typ: 'poll', key: agentKey });
      const pollStarted = Date.now();
      const longPoll = request(`http://127.0.0.1:${port}/v1/agent/queries?wait=30`, { headers: { authorization: `Hoptrace ${poll}` } });
      const dnoPoll = sign({}, { iss: 'term', aud: 'hub', typ: DNO_POLL_TYPE, key: agentKey });
      const dnoLongPoll = request(`http://127.0.0.1:${port}/v1/agent/dno?since=0&wait=30`, { headers: { authorization: `Hoptrace ${dnoPoll}` } });

      const traceback = slowTraceback(port, async () => {
        await new Promise((r) => setTimeout(r, 300));
        hub.child.kill('SIGTERM');
        await hub.waitFor(/stopping: finishing the work under way/);
        // The line is written just before the listener closes: give the hub its next few instructions.
        await expect.poll(() => refused(port), { timeout: 2_000 }).toBe(true);
        await new Promise((r) => setTimeout(r, 300));
      });

      const polled = await longPoll;
      expect(polled.statusCode).toBe(200);
      expect(await polled.body.json()).toEqual({ queries: [] });
      const dnoPolled = await dnoLongPoll;
      expect(dnoPolled.statusCode).toBe(200);
      await dnoPolled.body.text();
      expect(Date.now() - pollStarted).toBeLessThan(10_000);

      const started = await traceback;
      expect(started.status).toBe(201);
      expect(JSON.parse(started.body)).toMatchObject({ status: 'open', hops: [{ provider: 'term' }] });

      const code = await new Promise<number | null>((resolve) => (hub.child.exitCode !== null ? resolve(hub.child.exitCode) : hub.child.once('exit', resolve)));
      expect(code).toBe(0);
      expect(hub.lines.some((l) => /"msg":"stopped"/.test(l))).toBe(true);
    } finally {
      await hub.kill('SIGKILL');
    }
  }, 60_000);
});

/**
 * `hoptrace-hub subscribers|deliveries|verify|forward|number-blocks` as people run them: each command its own
 * process against a hub on a socket, a subscriber's webhook on loopback.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../proto/keys.js';
import { runCli } from '../../helpers/proc.js';
import { freePort } from '../../helpers/redis.js';
import { provider, type ScriptedAgent, startScriptedAgent } from '../harness.js';
import { startNotifyHub, type NotifyHub } from '../notify/hub-setup.js';
import { type Receiver, startReceiver } from '../notify/receiver.js';

const SLOW = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'hoptrace-subs-cli-'));
let h: NotifyHub;
let rx: Receiver;
let agent: ScriptedAgent;

async function hub(args: string[], token = h.token): Promise<{ code: number | null; out: string }> {
  const p = runCli('hub/cli.ts', args, { HOPTRACE_HUB_URL: h.running.url, HOPTRACE_TOKEN: token });
  const code = await new Promise<number | null>((resolve) => p.child.once('close', resolve));
  return { code, out: p.lines.join('\n') };
}

beforeAll(async () => {
  const termKey = generateKeyPair();
  h = await startNotifyHub({ providers: [provider('term', termKey), provider('desk', undefined, { reach: 'manual' })] });
  rx = await startReceiver({ subscriber: 'fbi', hubKey: h.pinned });
  agent = startScriptedAgent({ url: h.running.url, key: h.hubKey }, 'term', () => ({ result: 'originated' }), termKey);
});
afterAll(async () => {
  await agent?.stop();
  await h?.stop();
  await rx?.close();
});

describe('hoptrace-hub subscribers and deliveries', () => {
  it(
    'adds, lists and removes a subscriber; a refused one names the field and adds nothing',
    async () => {
      const added = await hub(['subscribers', 'add', '--id', 'fbi', '--name', 'FBI', '--kind', 'agency', '--url', rx.url, '--campaign', 'A,B', '--outcome', 'originated']);
      expect(added.code).toBe(0);
      expect(added.out).toContain(`fbi\tagency\t${rx.url}\treferrals of campaign A|B ending originated\tFBI`);
      expect(added.out).toContain(`verify with hub hub key ${h.pinned} (kid hub-notify)`);
      const bad = await hub(['subscribers', 'add', '--id', 'x', '--name', 'X', '--kind', 'agency', '--url', 'http://tips.example.gov/', '--referrals']);
      expect(bad.code).not.toBe(0);
      expect(bad.out).toContain('url: must be https://');
      const none = await hub(['subscribers', 'add', '--id', 'x', '--name', 'X', '--kind', 'agency', '--url', rx.url]);
      expect(none.out).toContain('say what it receives');
      const list = await hub(['subscribers', 'list']);
      expect(list.out.split('\n').filter((l) => !l.startsWith(' '))).toEqual([`fbi\tagency\t${rx.url}\treferrals of campaign A|B ending originated\tFBI`]);
      expect((await hub(['subscribers', 'list'], h.requester)).out).toContain('token lacks role admin');
    },
    SLOW,
  );

  it(
    'lists deliveries, saves one, verifies it offline, catches a tampered copy, and redelivers it',
    async () => {
      await h.api.notify().addSubscriber({ id: 'fbi', name: 'FBI', kind: 'agency', url: rx.url, receives: { referrals: { campaigns: ['A'] } } });
      const c = await h.api.startTraceback({ call: { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' }, firstProvider: 'term', campaign: 'A' });
      await h.api.waitForEnd(c.id, 10_000);
      const [got] = await rx.waitFor(1);
      const id = got!.doc.idempotencyKey;
      await new Promise((r) => setTimeout(r, 200));
      const list = await hub(['deliveries', 'list', '--state', 'delivered']);
      expect(list.out).toMatch(new RegExp(`^${id}  delivered referral +→ fbi  case ${c.id}  1 attempt\\(s\\), delivered `));
      const saved = join(dir, 'referral.json');
      writeFileSync(saved, got!.raw);
      // `=`: a base64url key may begin with '-', which would read as a flag.
      const ok = await hub(['verify', saved, `--hub-key=${h.pinned}`, '--subscriber', 'fbi']);
      expect(ok).toMatchObject({ code: 0 });
      expect(ok.out).toContain('ok   hub seal (hub, kid hub-notify): valid over the whole referral for fbi');
      expect(ok.out).toContain(`${saved}: verified`);
      const tampered = join(dir, 'tampered.json');
      writeFileSync(tampered, got!.raw.replace('"outcome":"originated"', '"outcome":"not_found"'));
      const bad = await hub(['verify', tampered, `--hub-key=${h.pinned}`]);
      expect(bad.code).toBe(1);
      expect(bad.out).toContain('FAIL hub seal (hub, kid hub-notify): the notification was changed after the hub sealed it (digest mismatch)');
      const again = await hub(['deliveries', 'redeliver', id]);
      expect(again.out).toMatch(new RegExp(`^queued again: ${id}  pending`));
      const both = await rx.waitFor(2);
      expect(both[1]!.headers['idempotency-key']).toBe(id);
      expect((await hub(['subscribers', 'remove', 'fbi'])).out).toBe('removed fbi');
      expect((await hub(['deliveries', 'redeliver', 'ntf_none'])).out).toContain('no such delivery');
    },
    SLOW,
  );

  it(
    'drops a dead letter for good, and refuses to drop any other delivery',
    async () => {
      const api = h.api.notify();
      await api.addSubscriber({ id: 'gone', name: 'Gone', kind: 'agency', url: `http://127.0.0.1:${await freePort()}/hook`, receives: { referrals: { campaigns: ['B'] } } });
      const c = await h.api.startTraceback({ call: { calling: '+13125550118', called: '+12025550144', at: '2026-11-28T11:59:30.000Z' }, firstProvider: 'term', campaign: 'B' });
      await h.api.waitForEnd(c.id, 10_000);
      await expect.poll(async () => (await api.deliveries({ state: 'dead' })).length, { timeout: 10_000 }).toBe(1);
      const [dead] = await api.deliveries({ state: 'dead' });
      const [done] = await api.deliveries({ state: 'delivered', limit: 1 });
      const refused = await hub(['deliveries', 'drop', done!.id]);
      expect(refused.code).not.toBe(0);
      expect(refused.out).toContain(`hub answered 409: delivery ${done!.id} is delivered, not a dead letter: only a dead letter can be dropped`);
      expect((await api.delivery(done!.id)).state).toBe('delivered');
      expect(await hub(['deliveries', 'drop', dead!.id])).toEqual({ code: 0, out: `dropped ${dead!.id}` });
      expect((await hub(['deliveries', 'list', '--state', 'dead'])).out).toBe('no deliveries');
      expect((await hub(['deliveries', 'drop', dead!.id])).out).toContain('no such delivery');
      await api.removeSubscriber('gone');
    },
    SLOW,
  );

  it(
    'registers number blocks, starts a trace forward, and shows it with its kind and number',
    async () => {
      expect(await hub(['number-blocks', 'add', '+1312555', 'desk'])).toEqual({ code: 0, out: '+1312555\tdesk' });
      expect((await hub(['number-blocks', 'add', '1312', 'desk'])).out).toContain('prefix: must be + and 1–15 digits');
      const started = await hub(['forward', '--number', '+13125550199'], h.requester);
      expect(started.code).toBe(0);
      expect(started.out).toMatch(/^trace forward \S+  open\n  number \+13125550199  \(the call-back number of the call \+13125550199 → \+13125550199 at .+\)\n  1\. desk +pending/);
      const id = started.out.split(/\s+/)[2]!;
      const shown = await hub(['show', id], h.requester);
      expect(shown.code).toBe(0);
      expect(shown.out.split('\n').slice(0, 2)).toEqual([`trace forward ${id}  open`, expect.stringMatching(/^  number \+13125550199  \(the call-back number of the call /)]);
      expect(shown.out).not.toMatch(/^traceback /);

      // Reports count the kinds apart: the forward is open, the two tracebacks of the tests before ended originated.
      expect(await hub(['report', 'outcomes', '--kind', 'forward'], h.requester)).toEqual({ code: 0, out: 'outcome  forwards\nopen     1' });
      expect(await hub(['report', 'outcomes'], h.requester)).toEqual({ code: 0, out: 'outcome     tracebacks\noriginated  2' });
      expect(JSON.parse((await hub(['report', 'monthly', '--kind', 'forward', '--json'], h.requester)).out)).toEqual([{ month: expect.stringMatching(/^\d{4}-\d\d$/), tracebacks: 1, outcomes: { open: 1 } }]);
      const badKind = await hub(['report', 'outcomes', '--kind', 'forwards'], h.requester);
      expect(badKind.code).not.toBe(0);
      expect(badKind.out).toContain('--kind must be one of traceback, forward');
      const res = await request(`${h.running.url}/v1/reports/outcomes?kind=forwards`, { headers: { authorization: `Bearer ${h.requester}` } });
      expect(res.statusCode).toBe(400);
      expect(await res.body.json()).toMatchObject({ path: 'kind' });
      const api = await request(`${h.running.url}/v1/reports/outcomes?kind=forward`, { headers: { authorization: `Bearer ${h.requester}` } });
      expect(await api.body.json()).toEqual({ report: 'outcomes', kind: 'forward', rows: { open: 1 } });
    },
    SLOW,
  );
});

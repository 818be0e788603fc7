/**
 * Referral and notice delivery benchmark (issue 9).
 *
 *   npx tsx bench/notify.ts [cases] [concurrency]      (default 2000 ended cases, 32 deliveries at once)
 *
 * In one process, on a private redis-server: the hub's notifier (hub/notify/) with the Redis notify store, two
 * subscribers (an agency taking every referral, the originator's NOC taking its notices) and their webhook, an
 * HTTP server on loopback that reads each body and answers 200. The cases are real 5-hop tracebacks built by
 * the engine from answers signed by five agents' keys, so a referral carries a full evidence bundle.
 *
 * 1. Store: `ended(case)` for every case until all notifications are sealed and stored (queue idle): cases/s
 *    and CPU per case (evidence + campaign-less referral + one notice, two seals, two Redis writes).
 * 2. Send: the queue delivers every stored notification to the webhook: deliveries/s and CPU per delivery
 *    (this process also runs the receiver).
 */
import '../config/fast-strings.js'; // first: restores fast string methods after ioredis loads
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import pino from 'pino';
import type { Case } from '../hub/case.js';
import { applyAnswer, defaultEngineConfig, type EngineContext, startCase } from '../hub/engine.js';
import { DeliveryQueue } from '../hub/notify/queue.js';
import { Notifier } from '../hub/notify/notifier.js';
import { RedisNotifyStore } from '../hub/notify/redis-store.js';
import { WebhookSender } from '../hub/notify/sender.js';
import { sign } from '../proto/envelope.js';
import { generateKeyPair, publicKeyToRaw } from '../proto/keys.js';
import type { HopAnswer } from '../proto/messages.js';
import { startRedis } from '../test/helpers/redis.js';

const CASES = Number(process.argv[2] ?? 2000);
const CONCURRENCY = Number(process.argv[3] ?? 32);
const HOPS = 5;
const providers = Array.from({ length: HOPS }, (_, i) => `p${i + 1}`);
const keys = new Map(providers.map((p) => [p, generateKeyPair(`${p}-k`)]));
const hubKey = generateKeyPair('hub-bench');
const log = pino({ level: 'silent' });

function tracedCase(n: number): Case {
  let q = 0;
  const ctx: EngineContext = {
    now: Date.parse('2026-11-28T12:00:00Z') + n,
    cfg: defaultEngineConfig,
    newQueryId: () => `q${n}-${q++}`,
    provider: (id) => (keys.has(id) ? { id, reach: 'agent-pull', foreign: false, hasContacts: false } : undefined),
    bySigner: () => undefined,
  };
  let c = startCase(`case-${n}`, { call: { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30Z' }, firstProvider: 'p1' }, 'bench', ctx).case;
  for (let i = 0; i < HOPS; i++) {
    const hop = c.hops.at(-1)!;
    const up = providers[i + 1];
    const match = { at: c.call.at, calling: c.call.calling, called: c.call.called, source: 'sip' as const, ingress: { ip: '198.51.100.7' } };
    const answer: HopAnswer = {
      queryId: hop.attempts.at(-1)!.queryId,
      tracebackId: c.id,
      provider: hop.provider,
      result: up ? 'upstream' : 'originated',
      matches: [up ? { ...match, upstream: { providerId: up, name: up } } : { ...match, customer: { account: 'ACCT-1' } }],
      answeredAt: new Date(ctx.now).toISOString(),
      agentVersion: 'bench',
    };
    const key = keys.get(hop.provider)!;
    const jws = sign(answer, { iss: hop.provider, aud: 'hub', typ: 'hop-answer', key, now: ctx.now });
    c = applyAnswer(c, answer, { jws, keys: [{ kid: key.kid, publicKey: publicKeyToRaw(key.publicKey) }] }, ctx).case;
  }
  return c;
}

const redis = await startRedis();
let received = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (b: Buffer) => (bytes += b.length));
  req.on('end', () => {
    received++;
    res.writeHead(200).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

const store = new RedisNotifyStore({ url: redis.url });
const sender = new WebhookSender(10_000);
const queue = new DeliveryQueue({ store, sender, policy: { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 10_000, jitter: 0.2 }, timeoutMs: 10_000, concurrency: CONCURRENCY, keepDeliveredMs: 30 * 86_400_000, log, tickMs: 50 });
const notifier = new Notifier({ hubId: 'hub', key: hubKey, store, cases: { listCases: async () => [] }, queue, log, publicUrl: () => 'http://127.0.0.1' });
await notifier.addSubscriber({ id: 'agency', name: 'Agency', kind: 'agency', url, receives: { referrals: {} } });
await notifier.addSubscriber({ id: 'p5-noc', name: 'P5 NOC', kind: 'provider', provider: 'p5', url, receives: { notices: true } });

const cases = Array.from({ length: CASES }, (_, n) => tracedCase(n));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
process.stdout.write(`notify: ${CASES} ended 5-hop cases, 2 notifications each (referral + originator notice), concurrency ${CONCURRENCY}; load ${load()}\n`);

// 1. Seal and store (the queue is not started: kicks do nothing).
let cpu = process.cpuUsage();
let t = performance.now();
for (let i = 0; i < cases.length; i += 64) {
  for (const c of cases.slice(i, i + 64)) notifier.ended(c);
  await notifier.settled();
}
let ms = performance.now() - t;
let used = process.cpuUsage(cpu);
const stored = (await store.listDeliveries({ limit: CASES * 2 + 1 })).length;
process.stdout.write(`  store:   ${stored} notifications in ${ms.toFixed(0)} ms — ${((CASES * 1000) / ms).toFixed(0)} cases/s, CPU ${((used.user + used.system) / CASES / 1000).toFixed(2)} ms per case; load ${load()}\n`);

// 2. Deliver.
cpu = process.cpuUsage();
t = performance.now();
queue.start();
while (received < stored) await new Promise((r) => setTimeout(r, 10));
ms = performance.now() - t;
used = process.cpuUsage(cpu);
await queue.stop();
process.stdout.write(
  `  deliver: ${received} POSTs (${(bytes / received / 1024).toFixed(1)} KB each on average) in ${ms.toFixed(0)} ms — ${((received * 1000) / ms).toFixed(0)} deliveries/s, CPU ${((used.user + used.system) / received / 1000).toFixed(2)} ms per delivery (sender + receiver); load ${load()}\n`,
);

await sender.close();
await store.close();
server.closeAllConnections();
server.close();
await redis.stop();

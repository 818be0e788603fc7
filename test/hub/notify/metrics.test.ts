/**
 * The hub's notification metrics on /metrics (hub/notify/metrics.ts), from a hub as `serve` starts it: a referral
 * delivered after one failure, one dead-lettered after its last attempt, the pending gauge while they are retried
 * and once they are settled, and the stored-to-delivered time.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../proto/keys.js';
import { provider, type ScriptedAgent, startScriptedAgent } from '../harness.js';
import { startNotifyHub, type NotifyHub } from './hub-setup.js';
import { type Receiver, startReceiver } from './receiver.js';

const termKey = generateKeyPair();
let h: NotifyHub;
let agent: ScriptedAgent;
const rx: Record<string, Receiver> = {};

async function scrape(): Promise<string> {
  const res = await request(`${h.running.url}/metrics`);
  expect(res.statusCode).toBe(200);
  return res.body.text();
}

/** The value of one series, or undefined when /metrics does not have it. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  h = await startNotifyHub({ providers: [provider('term', termKey)], notify: { maxAttempts: 4, backoffSec: 0.3, maxBackoffSec: 0.3, jitter: 0 } });
  agent = startScriptedAgent({ url: h.running.url, key: h.hubKey }, 'term', () => ({ result: 'originated' }), termKey);
  rx.flaky = await startReceiver({ subscriber: 'flaky', hubKey: h.pinned, answer: (n) => (n === 1 ? 503 : 200) });
  rx.down = await startReceiver({ subscriber: 'down', hubKey: h.pinned, answer: () => 503 });
  for (const id of ['flaky', 'down']) await h.api.notify().addSubscriber({ id, name: id, kind: 'agency', url: rx[id]!.url, receives: { referrals: {} } });
});

afterAll(async () => {
  await agent?.stop();
  await h?.stop();
  for (const r of Object.values(rx)) await r.close();
});

describe('notification metrics', () => {
  it('counts deliveries by outcome, gauges the pending ones and times delivery', async () => {
    const before = await scrape();
    expect(value(before, 'hoptrace_hub_notification_deliveries_pending')).toBe(0);
    expect(before).toContain('# TYPE hoptrace_hub_notification_deliveries_total counter');
    expect(before).toContain('# TYPE hoptrace_hub_notification_delivery_seconds histogram');

    const c = await h.api.startTraceback({ call: { calling: '+13125550117', called: '+12025550143', at: new Date().toISOString() }, firstProvider: 'term' });
    expect((await h.api.waitForEnd(c.id, 10_000)).status).toBe('originated');
    // While `down` fails and waits for its retries, its referral is pending.
    await expect.poll(async () => value(await scrape(), 'hoptrace_hub_notification_deliveries_pending'), { timeout: 5000, interval: 20 }).toBeGreaterThanOrEqual(1);
    await rx.flaky!.waitFor(2);
    await rx.down!.waitFor(4);
    await expect.poll(async () => value(await scrape(), 'hoptrace_hub_notification_deliveries_pending'), { timeout: 5000 }).toBe(0);

    const text = await scrape();
    const count = (outcome: string) => value(text, `hoptrace_hub_notification_deliveries_total{kind="referral",outcome="${outcome}"}`);
    // flaky: one failure then delivered; down: three failures retried, the fourth (its last) dead-lettered.
    expect([count('delivered'), count('retried'), count('dead_lettered')]).toEqual([1, 4, 1]);
    expect(value(text, 'hoptrace_hub_notification_delivery_seconds_count{kind="referral"}')).toBe(1);
    // Delivered on its second attempt, one 0.3 s backoff after the first.
    expect(value(text, 'hoptrace_hub_notification_delivery_seconds_sum{kind="referral"}')).toBeGreaterThanOrEqual(0.29);
    expect(value(text, 'hoptrace_hub_notification_delivery_seconds_bucket{le="0.1",kind="referral"}')).toBe(0);
    expect(value(text, 'hoptrace_hub_notification_delivery_seconds_bucket{le="+Inf",kind="referral"}')).toBe(1);
    const [dead] = await h.api.notify().deliveries({ state: 'dead' });
    expect(dead).toMatchObject({ subscriber: 'down', attempts: 4, lastError: expect.stringContaining('503') });
  });
});

/**
 * The hub end to end in one process: its HTTP API on a real socket, agents pulling over loopback HTTP with the
 * agent's own link code, each terminal outcome reached as carriers would reach it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyOffline } from '../../proto/envelope.js';
import { generateKeyPair, publicKeyFromRaw } from '../../proto/keys.js';
import { provider, type ScriptedAgent, type Script, startScriptedAgent, startTestHub, type TestHub } from './harness.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };

let t: TestHub;
let agents: ScriptedAgent[] = [];

beforeAll(async () => {
  t = await startTestHub({ engine: { agentDeadlineMs: 1000, agentRetries: 1 } });
});
afterEach(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  agents = [];
});
afterAll(() => t.stop());

/** Registers each provider (with its agent's key) and starts agents for those with a script. */
async function network(defs: { id: string; script?: Script; over?: Parameters<typeof provider>[2] }[]): Promise<void> {
  for (const d of defs) {
    const key = generateKeyPair();
    await t.api().addProvider(provider(d.id, key, d.over));
    if (d.script) agents.push(startScriptedAgent(t, d.id, d.script, key));
  }
}

async function trace(first: string) {
  const started = await t.api('requester').startTraceback({ call: CALL, firstProvider: first });
  return t.api('requester').waitForEnd(started.id, 10_000, 20);
}

describe('hub tracebacks over HTTP', () => {
  it('follows three agents to the originator, keeping each signed answer with the key that verified it', async () => {
    await network([
      { id: 'o-term', script: () => ({ result: 'upstream', upstream: 'o-transit' }) },
      { id: 'o-transit', script: () => ({ result: 'upstream', upstream: 'o-orig' }) },
      { id: 'o-orig', script: () => ({ result: 'originated' }) },
    ]);
    const done = await trace('o-term');
    expect([done.status, done.originator]).toEqual(['originated', 'o-orig']);
    expect(done.hops.map((h) => [h.provider, h.askedBy, h.answer?.result])).toEqual([
      ['o-term', null, 'upstream'],
      ['o-transit', 'o-term', 'upstream'],
      ['o-orig', 'o-transit', 'originated'],
    ]);
    for (const [i, a] of agents.entries()) {
      const hop = done.hops[i]!;
      expect(hop.answerKeys?.map((k) => k.kid)).toEqual([a.key.kid]);
      expect(verifyOffline(hop.answerJws!, hop.answerKeys!.map((k) => publicKeyFromRaw(k.publicKey))).body).toEqual(hop.answer);
    }
    expect(done.endedAt).toBeGreaterThanOrEqual(done.createdAt);
  });

  it('ends foreign with the gateway as point of entry when it names a foreign upstream', async () => {
    await network([
      { id: 'f-term', script: () => ({ result: 'upstream', upstream: 'f-gw' }) },
      { id: 'f-gw', script: () => ({ result: 'upstream', upstream: 'f-abroad' }), over: { gateway: true } },
      { id: 'f-abroad', over: { foreign: true, country: 'GB' } },
    ]);
    const done = await trace('f-term');
    expect([done.status, done.pointOfEntry, done.hops.length]).toEqual(['foreign', 'f-gw', 2]);
  });

  it('ends in a loop when a provider names one already in the chain', async () => {
    await network([
      { id: 'l-term', script: () => ({ result: 'upstream', upstream: 'l-a' }) },
      { id: 'l-a', script: () => ({ result: 'upstream', upstream: 'l-term' }) },
    ]);
    const done = await trace('l-term');
    expect([done.status, done.detail]).toEqual(['loop', 'l-a named l-term, already in the chain']);
  });

  it('ends not_found after asking again with the widened window', async () => {
    await network([{ id: 'n-term', script: () => ({ result: 'not_found' }) }]);
    const done = await trace('n-term');
    expect(done.status).toBe('not_found');
    expect(agents[0]!.asked.map((q) => q.call.windowSec)).toEqual([120, 600]);
  });

  it('retries a silent agent with a doubled deadline, then ends non_responsive', async () => {
    await network([
      { id: 'r-term', script: () => ({ result: 'upstream', upstream: 'r-mute' }) },
      { id: 'r-mute', script: () => 'silent' },
    ]);
    const done = await trace('r-term');
    expect(done.status).toBe('non_responsive');
    const attempts = done.hops[1]!.attempts;
    expect(attempts.map((a) => [a.timedOut, a.deadline - a.sentAt])).toEqual([
      [true, 1000],
      [true, 2000],
    ]);
    expect(agents[1]!.asked).toHaveLength(2);
  });

  it('retries an agent that answers unavailable, and continues when it can search again', async () => {
    let calls = 0;
    await network([
      { id: 'u-term', script: () => (++calls === 1 ? { result: 'unavailable', reason: 'call index unavailable' } : { result: 'originated' }) },
    ]);
    const done = await trace('u-term');
    expect([done.status, done.hops[0]!.attempts.length]).toEqual(['originated', 2]);
  });

  it('falls back to a manual hop when the silent provider has contacts', async () => {
    await network([
      { id: 'm-term', script: () => ({ result: 'upstream', upstream: 'm-mute' }) },
      { id: 'm-mute', script: () => 'silent', over: { contact: { email: 'noc@mute.example' } } },
    ]);
    const started = await t.api('requester').startTraceback({ call: CALL, firstProvider: 'm-term' });
    let c = started;
    for (let i = 0; i < 400 && c.hops[1]?.mode !== 'manual'; i++) {
      await new Promise((r) => setTimeout(r, 30));
      c = await t.api('requester').getTraceback(started.id);
    }
    expect([c.status, c.hops[1]?.mode, c.hops[1]?.state]).toEqual(['open', 'manual', 'pending']);
    const last = c.hops[1]!.attempts.at(-1)!;
    expect(last.deadline - last.sentAt).toBe(24 * 3_600_000);
    const pending = await t.api().pendingManual();
    expect(pending.find((p) => p.caseId === c.id)).toMatchObject({ provider: 'm-mute', contact: { email: 'noc@mute.example' } });
  });

  it('asks a verified A signer directly beside the chain and records that the path agrees', async () => {
    const signed = { identity: { attest: 'A' as const, signer: '567S', verified: true } };
    await network([
      { id: 's-term', script: () => ({ result: 'upstream', upstream: 's-transit', match: signed }) },
      { id: 's-transit', script: () => ({ result: 'upstream', upstream: 's-orig' }) },
      { id: 's-orig', script: () => ({ result: 'originated' }), over: { spc: '567S' } },
    ]);
    const started = await t.api('requester').startTraceback({ call: CALL, firstProvider: 's-term' });
    let done = await t.api('requester').waitForEnd(started.id, 10_000, 20);
    for (let i = 0; i < 100 && !done.shaken?.answer; i++) {
      await new Promise((r) => setTimeout(r, 20));
      done = await t.api('requester').getTraceback(started.id);
    }
    expect(done.status).toBe('originated');
    expect(done.shaken).toMatchObject({ signer: '567S', provider: 's-orig', attest: 'A', fromHop: 0, path: 'agrees', answer: { result: 'originated', provider: 's-orig' } });
    expect(agents[2]!.asked.map((q) => q.askedBy)).toContain(null);
    expect(done.hops.map((h) => h.provider)).toEqual(['s-term', 's-transit', 's-orig']);
  });

  it('cancels an open traceback on request and refuses to cancel it twice', async () => {
    await network([{ id: 'c-term', script: () => 'silent' }]);
    const started = await t.api('requester').startTraceback({ call: CALL, firstProvider: 'c-term' });
    const cancelled = await t.api('requester').cancelTraceback(started.id, 'wrong number');
    expect([cancelled.status, cancelled.detail]).toEqual(['cancelled', 'wrong number (requester)']);
    await expect(t.api('requester').cancelTraceback(started.id)).rejects.toThrow(/409: case .*: already ended \(cancelled\)/);
  });
});

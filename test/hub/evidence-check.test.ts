/**
 * Evidence bundles checked offline: a real three-hop traceback (agents signing over loopback HTTP), then every
 * kind of tampering — a byte of an answer, the chain, the recorded copy, the outcome, the hub's seal — named
 * exactly by the checker.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../../hub/case.js';
import { checkEvidence } from '../../hub/evidence-check.js';
import { buildEvidence, type EvidenceBundle } from '../../hub/evidence.js';
import { parseProviderKeys, ProviderKeysError } from '../../hub/evidence-keys.js';
import { decode, sign } from '../../proto/envelope.js';
import { generateKeyPair, publicKeyToRaw } from '../../proto/keys.js';
import { provider, type ScriptedAgent, startScriptedAgent, startTestHub, type TestHub } from './harness.js';

const CALL = { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30.000Z' };
let t: TestHub;
let agents: ScriptedAgent[];
let bundle: EvidenceBundle;

beforeAll(async () => {
  t = await startTestHub();
  const chain = [
    ['carrier-c', { result: 'upstream', upstream: 'carrier-b' }],
    ['carrier-b', { result: 'upstream', upstream: 'carrier-a' }],
    ['carrier-a', { result: 'originated' }],
  ] as const;
  agents = [];
  for (const [id, answer] of chain) {
    const key = generateKeyPair();
    await t.api().addProvider(provider(id, key));
    agents.push(startScriptedAgent(t, id, () => answer, key));
  }
  const started = await t.api('requester').startTraceback({ call: CALL, firstProvider: 'carrier-c' });
  const done = await t.api('requester').waitForEnd(started.id, 10_000, 20);
  expect(done.status).toBe('originated');
  bundle = await t.api('requester').evidence(started.id);
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await t.stop();
});

const copy = (): EvidenceBundle => structuredClone(bundle);
/** The bundle a dishonest hub would issue for an altered case: sealed again with the hub's real key. */
const resealed = (edit: (c: Case) => void): EvidenceBundle => {
  const c = structuredClone(bundle.case);
  edit(c);
  return buildEvidence(c, 'hub', t.key, Date.now());
};
/** One character of a base64url string replaced by another base64url character. */
const flip = (s: string, at: number) => `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`;

describe('evidence bundle', () => {
  it('verifies a bundle as the hub issued it: the seal, each signed answer with its registered key, the chain and the outcome', () => {
    const r = checkEvidence(JSON.parse(JSON.stringify(bundle, null, 2)), { hubKey: publicKeyToRaw(t.key.publicKey) });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.passed).toEqual([
      'hub signature (hub, kid hub-test): valid over the whole bundle',
      'hop 1 (carrier-c): upstream answer signed by carrier-c (kid ' + agents[0]!.key.kid + ')',
      'hop 2 (carrier-b): upstream answer signed by carrier-b (kid ' + agents[1]!.key.kid + ')',
      'hop 3 (carrier-a): originated answer signed by carrier-a (kid ' + agents[2]!.key.kid + ')',
      'chain of 3 hop(s) consistent with outcome originated',
    ]);
    expect(bundle.case.hops.every((h) => h.answerJws && h.answerKeys?.length === 1)).toBe(true);
  });

  it('names the hop whose answer signature lost a byte, and the broken seal', () => {
    const b = copy();
    const jws = b.case.hops[1]!.answerJws!;
    b.case.hops[1]!.answerJws = flip(jws, jws.lastIndexOf('.') + 10);
    expect(checkEvidence(b).failures).toEqual([
      'hub signature (hub, kid hub-test): the bundle was changed after the hub signed it (digest mismatch)',
      'hop 2 (carrier-b): answer signature invalid',
    ]);
  });

  it('detects a changed byte anywhere in any answer, even when the hub sealed the bundle again', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), (hop, pos) => {
        const jws = bundle.case.hops[hop]!.answerJws!;
        const at = pos % jws.length;
        if (jws[at] === '.') return;
        const b = resealed((c) => {
          c.hops[hop]!.answerJws = flip(jws, at);
        });
        const r = checkEvidence(b);
        expect(r.ok).toBe(false);
        expect(r.failures.some((f) => f.startsWith(`hop ${hop + 1} (`))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('names a broken link of the chain', () => {
    const r = checkEvidence(
      resealed((c) => {
        c.hops[2]!.provider = 'carrier-x';
        c.originator = 'carrier-x';
      }),
    );
    expect(r.failures).toEqual([
      'hop 3 (carrier-x): answer signed by carrier-a, not carrier-x',
      'hop 3 (carrier-x): answer speaks for carrier-a',
      'hop 3: asked carrier-x but hop 2 named carrier-a',
    ]);
  });

  it('names a hop asked by someone other than the hop before it', () => {
    const r = checkEvidence(resealed((c) => void (c.hops[2]!.askedBy = 'carrier-c')));
    expect(r.failures).toEqual(['hop 3: asked by carrier-c but hop 2 is carrier-b']);
  });

  it('names a recorded answer that differs from the signed one, and an outcome its answers do not support', () => {
    const edited = checkEvidence(resealed((c) => void (c.hops[0]!.answer!.matches[0]!.upstream = { providerId: 'carrier-z', name: 'Z' })));
    expect(edited.failures).toEqual(['hop 1 (carrier-c): recorded answer differs from the signed answer']);
    const outcome = checkEvidence(resealed((c) => void (c.originator = 'carrier-b')));
    expect(outcome.failures).toEqual(['outcome originated: originator carrier-b is not hop 3 (carrier-a)']);
    const cut = checkEvidence(
      resealed((c) => {
        c.hops.pop();
      }),
    );
    expect(cut.failures).toEqual(["outcome originated: hop 2's signed answer says upstream"]);
  });

  it('names a key used outside its registered validity', () => {
    const r = checkEvidence(resealed((c) => void (c.hops[0]!.answerKeys![0]!.notAfter = '2020-01-01T00:00:00.000Z')));
    expect(r.failures).toEqual([`hop 1 (carrier-c): signed with key ${agents[0]!.key.kid} outside its registered validity`]);
  });

  it('refuses a seal by another key than the pinned hub key, and a seal over another case', () => {
    const impostor = generateKeyPair('hub-test');
    const forged = buildEvidence(bundle.case, 'hub', impostor, Date.now());
    expect(checkEvidence(forged).ok).toBe(true);
    expect(checkEvidence(forged, { hubKey: publicKeyToRaw(t.key.publicKey) }).failures).toEqual([
      "hub signature (hub, kid hub-test): the bundle's hub key is not the pinned key",
      'hub signature (hub, kid hub-test): signature invalid',
    ]);
    const swapped = copy();
    swapped.signature = resealed((c) => void (c.id = 'other-case')).signature;
    expect(checkEvidence(swapped).failures).toEqual([`hub signature (hub, kid hub-test): signs traceback other-case, not ${bundle.case.id}`]);
  });

  it('says what is wrong with something that is not a bundle', () => {
    expect(checkEvidence({ format: 'hoptrace-evidence/1' }).failures).toEqual(['not an evidence bundle: hub: Invalid input: expected object, received undefined']);
    expect(checkEvidence('hello').ok).toBe(false);
  });
});

describe('evidence bundle against provider keys obtained independently', () => {
  const providerKeys = () => Object.fromEntries(agents.map((a, i) => [bundle.case.hops[i]!.provider, [publicKeyToRaw(a.key.publicKey)]]));
  /** What a dishonest hub can do: record its own key as carrier-b's (same kid), sign an answer with it, and seal. */
  const forgedHop2 = () => {
    const hop = bundle.case.hops[1]!;
    const kid = hop.answerKeys![0]!.kid;
    const impostor = generateKeyPair(kid);
    const { claims, body } = decode(hop.answerJws!);
    return resealed((c) => {
      c.hops[1]!.answerJws = sign(body, { iss: claims.iss, aud: claims.aud, typ: claims.typ, key: impostor, now: claims.iat * 1000 });
      c.hops[1]!.answerKeys![0]!.publicKey = publicKeyToRaw(impostor.publicKey);
    });
  };

  it('passes an honest bundle, saying each answer is signed by a provider key', () => {
    const r = checkEvidence(bundle, { hubKey: publicKeyToRaw(t.key.publicKey), providerKeys: providerKeys() });
    expect(r.failures).toEqual([]);
    expect(r.passed[2]).toBe(`hop 2 (carrier-b): upstream answer signed by carrier-b (kid ${agents[1]!.key.kid}), a provider key`);
  });

  it('names the hop and kid whose key the hub swapped, which the bundle alone cannot show', () => {
    const forged = forgedHop2();
    const hubKey = publicKeyToRaw(t.key.publicKey);
    expect(checkEvidence(forged, { hubKey }).failures).toEqual([]);
    const kid = agents[1]!.key.kid;
    expect(checkEvidence(forged, { hubKey, providerKeys: providerKeys() }).failures).toEqual([
      `hop 2 (carrier-b): key ${kid} the bundle records for carrier-b is not one of its provider keys`,
      `hop 2 (carrier-b): answer (kid ${kid}) is not signed by any provider key of carrier-b`,
    ]);
  });

  it('names a signer the keys file does not cover', () => {
    const { 'carrier-a': _a, ...rest } = providerKeys();
    expect(checkEvidence(bundle, { providerKeys: rest }).failures).toEqual(['hop 3 (carrier-a): no provider key for carrier-a']);
  });

  it('reads JSON and YAML keys files, one key or a list, and names what is wrong with a bad one', () => {
    const [k1, k2] = [publicKeyToRaw(generateKeyPair().publicKey), publicKeyToRaw(generateKeyPair().publicKey)];
    expect(parseProviderKeys(JSON.stringify({ 'carrier-a': k1 }), 'k.json')).toEqual({ 'carrier-a': [k1] });
    expect(parseProviderKeys(`carrier-a: [${k1}, ${k2}]\n`, 'k.yaml')).toEqual({ 'carrier-a': [k1, k2] });
    const bad = (text: string) => {
      try {
        parseProviderKeys(text, 'k.yaml');
      } catch (err) {
        expect(err).toBeInstanceOf(ProviderKeysError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad(`carrier-a: ${k1.slice(1)}\n`)).toMatch(/^provider keys k\.yaml: .*base64url of a raw 32-byte Ed25519 public key.*\(at carrier-a\.0\)/);
    expect(bad(`Carrier A: ${k1}\n`)).toBe('provider keys k.yaml: "Carrier A" is not a provider id (lower-case letters, digits, . _ -)');
    expect(bad('{}')).toBe('provider keys k.yaml: names no provider');
    expect(bad('[')).toMatch(/^provider keys k\.yaml: not JSON or YAML/);
  });
});

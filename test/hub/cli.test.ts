/**
 * The hub's client commands as people run them: `hoptrace-hub` as its own process against a hub on a socket.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildEvidence } from '../../hub/evidence.js';
import { decode, sign } from '../../proto/envelope.js';
import { generateKeyPair, publicKeyToRaw } from '../../proto/keys.js';
import { runCli } from '../helpers/proc.js';
import { provider, type ScriptedAgent, startScriptedAgent, startTestHub, type TestHub } from './harness.js';

const SLOW = 180_000;
const dir = mkdtempSync(join(tmpdir(), 'hoptrace-cli-'));
let t: TestHub;
const agents: ScriptedAgent[] = [];
const keys = { 'cli-term': generateKeyPair(), 'cli-orig': generateKeyPair() };

/** Runs `hoptrace-hub ARGS` to its end: exit code and everything it printed. */
async function hub(args: string[], as: keyof TestHub['tokens'] = 'admin'): Promise<{ code: number | null; out: string }> {
  const p = runCli('hub/cli.ts', args, { HOPTRACE_HUB_URL: t.url, HOPTRACE_TOKEN: t.tokens[as] });
  const code = await new Promise<number | null>((resolve) => p.child.once('close', resolve));
  return { code, out: p.lines.join('\n') };
}

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

beforeAll(async () => {
  t = await startTestHub({ engine: { agentDeadlineMs: 2000 } });
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await t.stop();
});

describe('hoptrace-hub client commands', () => {
  // Each command is a process of its own (tsx compiles on start): allow for a busy machine.
  it('providers add, list, show and update (fields and key rotation)', async () => {
    const providers = Object.entries(keys).map(([id, k]) => provider(id, k, { contact: { email: `noc@${id}.example` } }));
    expect(await hub(['providers', 'add', '--file', file('providers.yaml', YAML.stringify(providers))])).toEqual({ code: 0, out: 'registered cli-term\nregistered cli-orig' });
    const list = await hub(['providers', 'list'], 'reader');
    expect(list.out.split('\n')).toEqual(expect.arrayContaining(['cli-orig\tagent-pull\tUS\tCLI-ORIG', 'cli-term\tagent-pull\tUS\tCLI-TERM']));

    const updated = await hub(['providers', 'update', 'cli-orig', '--file', file('patch.yaml', 'name: Cli Origin\ngateway: true\nspc: 321C\n')]);
    expect(updated.code).toBe(0);
    expect(updated.out).toContain('cli-orig  Cli Origin');
    expect(updated.out).toContain('country US, gateway');
    expect(updated.out).toContain('shaken  SPC 321C');

    const next = generateKeyPair('cli-orig-2');
    const rotated = await hub(['providers', 'update', 'cli-orig', '--rotate-key', `cli-orig-2:${publicKeyToRaw(next.publicKey)}`, '--overlap-hours', '2']);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toMatch(new RegExp(`key     ${keys['cli-orig'].kid}  \\S+  … → \\d{4}-`));
    expect(rotated.out).toMatch(/key {5}cli-orig-2 {2}\S+ {2}\d{4}-\S+ → …/);

    const shown = await hub(['providers', 'show', 'cli-term'], 'reader');
    expect(shown.out.split('\n').slice(0, 4)).toEqual(['cli-term  CLI-TERM', '  country US', '  reach   agent-pull', '  contact noc@cli-term.example']);
  }, SLOW);

  it('refuses bad use with the reason and exit 2, and a hub refusal with its reason and exit 1', async () => {
    expect(await hub(['providers', 'update', 'cli-term'])).toMatchObject({ code: 2, out: expect.stringContaining('providers update needs --file PATCH and/or --rotate-key KID:PUBLICKEY') });
    expect(await hub(['providers', 'update', 'cli-term', '--rotate-key', 'nokey'])).toMatchObject({ code: 2, out: expect.stringContaining('--rotate-key takes KID:PUBLICKEY') });
    expect(await hub(['providers', 'update', 'cli-term', '--file', file('bad.yaml', 'reach: pigeon\n')])).toMatchObject({ code: 1, out: expect.stringMatching(/^error: hub answered 400: reach: .* \(at reach\)$/) });
    expect(await hub(['providers', 'show', 'cli-term'], 'dno')).toEqual({ code: 1, out: 'error: hub answered 403: token lacks role trace:read' });
  }, SLOW);

  it('starts a campaign from a CSV file, shows its graph, and reports on it', async () => {
    agents.push(startScriptedAgent(t, 'cli-term', () => ({ result: 'upstream', upstream: 'cli-orig' }), keys['cli-term']));
    agents.push(startScriptedAgent(t, 'cli-orig', () => ({ result: 'originated' }), keys['cli-orig']));
    const csv = file('calls.csv', 'calling,called,at,from\n+13125550117,+12025550143,2026-11-28T11:59:30Z,cli-term\n+13125550118,+12025550144,2026-11-28T12:01:00Z,cli-term\n');
    const started = await hub(['trace', '--campaign', 'cli-camp', '--file', csv]);
    expect(started.code).toBe(0);
    const ids = started.out.split('\n').slice(0, 2).map((l) => l.split('\t')[0]!);
    expect(started.out.split('\n')[2]).toBe('campaign cli-camp: 2 traceback(s) started');
    for (const id of ids) expect((await t.api().waitForEnd(id, 10_000, 20)).status).toBe('originated');

    const graph = await hub(['campaign', 'cli-camp'], 'admin');
    expect(graph.out.split('\n')).toEqual([
      'campaign cli-camp: 2 traceback(s) — originated 2',
      `  cli-orig         → cli-term              2 call(s)  originated 2`,
      '  ended at cli-orig: originated 2',
    ]);
    const outcomes = await hub(['report', 'outcomes', '--campaign', 'cli-camp'], 'admin');
    expect(outcomes).toEqual({ code: 0, out: 'outcome     tracebacks\noriginated  2' });
    const hops = await hub(['report', 'hops', '--campaign', 'cli-camp', '--json'], 'admin');
    expect(JSON.parse(hops.out)).toEqual({ tracebacks: 2, mean: 2, histogram: { 2: 2 } });

    const bad = file('bad.csv', 'calling,called,at,from\n+13125550117,2025550143,2026-11-28T11:59:30Z,cli-term\n');
    expect(await hub(['trace', '--campaign', 'cli-camp', '--file', bad])).toEqual({ code: 1, out: 'error: bad.csv:2: called: must be E.164, e.g. +12025550143' });
  }, SLOW);

  it('fetches evidence and verifies it offline: exit 0 when intact, exit 1 naming the tampered answer', async () => {
    const c = await t.api('requester').startTraceback({ call: { calling: '+13125550117', called: '+12025550143', at: '2026-11-28T11:59:30Z' }, firstProvider: 'cli-term' });
    expect((await t.api('requester').waitForEnd(c.id, 10_000, 20)).status).toBe('originated');
    const bundleFile = join(dir, 'evidence.json');
    expect(await hub(['evidence', c.id, '--out', bundleFile], 'requester')).toEqual({ code: 0, out: `wrote ${bundleFile}` });

    const hubKey = publicKeyToRaw(t.key.publicKey);
    const ok = await hub(['verify', bundleFile, '--hub-key', hubKey]);
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n')).toContain(`${bundleFile}: verified`);

    const bundle = JSON.parse(readFileSync(bundleFile, 'utf8'));
    const jws: string = bundle.case.hops[1].answerJws;
    const at = jws.lastIndexOf('.') + 5;
    bundle.case.hops[1].answerJws = `${jws.slice(0, at)}${jws[at] === 'x' ? 'y' : 'x'}${jws.slice(at + 1)}`;
    const tampered = await hub(['verify', file('tampered.json', JSON.stringify(bundle)), '--hub-key', hubKey]);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain('FAIL hop 2 (cli-orig): answer signature invalid');
    expect(tampered.out).toContain('FAIL hub signature (hub, kid hub-test): the bundle was changed after the hub signed it (digest mismatch)');
    expect(tampered.out.split('\n').at(-1)).toBe(`${join(dir, 'tampered.json')}: 2 check(s) failed`);
    expect(await hub(['verify', file('junk.json', '{"nope"')])).toMatchObject({ code: 1, out: expect.stringContaining('not readable JSON') });

    // Keys obtained from the providers themselves, not from the hub: a key the hub swapped in is named.
    const known = file('provider-keys.yaml', YAML.stringify(Object.fromEntries(Object.entries(keys).map(([id, k]) => [id, publicKeyToRaw(k.publicKey)]))));
    const pinned = await hub(['verify', bundleFile, '--hub-key', hubKey, '--provider-keys', known]);
    expect(pinned.code).toBe(0);
    expect(pinned.out).toContain(`ok   hop 2 (cli-orig): originated answer signed by cli-orig (kid ${keys['cli-orig'].kid}), a provider key`);
    const honest = JSON.parse(readFileSync(bundleFile, 'utf8'));
    const impostor = generateKeyPair(keys['cli-orig'].kid);
    const signed = decode(honest.case.hops[1].answerJws);
    honest.case.hops[1].answerJws = sign(signed.body, { iss: signed.claims.iss, aud: signed.claims.aud, typ: signed.claims.typ, key: impostor, now: signed.claims.iat * 1000 });
    honest.case.hops[1].answerKeys[0].publicKey = publicKeyToRaw(impostor.publicKey);
    const swapped = file('swapped.json', JSON.stringify(buildEvidence(honest.case, 'hub', t.key, Date.now())));
    expect((await hub(['verify', swapped, '--hub-key', hubKey])).code).toBe(0);
    const caught = await hub(['verify', swapped, '--hub-key', hubKey, '--provider-keys', known]);
    expect(caught.code).toBe(1);
    expect(caught.out.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([
      `FAIL hop 2 (cli-orig): key ${keys['cli-orig'].kid} the bundle records for cli-orig is not one of its provider keys`,
      `FAIL hop 2 (cli-orig): answer (kid ${keys['cli-orig'].kid}) is not signed by any provider key of cli-orig`,
    ]);
    const badKeys = await hub(['verify', bundleFile, '--provider-keys', file('bad-keys.yaml', 'cli-orig: nope\n')]);
    expect(badKeys.code).toBe(2);
    expect(badKeys.out).toContain('--provider-keys: provider keys');
    expect(badKeys.out).not.toContain('ok   ');
  }, SLOW);
});

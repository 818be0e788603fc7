/**
 * `npm run demo -- --once` end to end, as a person or a script runs it: it must exit 0 within its minute, block
 * exactly the DNO-listed and invalid callers of the plan, trace every delivered call to where its route began,
 * and say so in its output.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignCalls } from '../../sim/calls.js';
import { demoNetwork } from '../../sim/network.js';

const ROOT = resolve(import.meta.dirname, '../..');

function runDemo(): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'sim/demo.ts', '--once'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  return new Promise((res) => child.once('exit', (code) => res({ code, out, ms: Date.now() - started })));
}

describe('npm run demo -- --once', () => {
  it('blocks the DNO callers, traces every delivered call to its origin, and exits 0 within a minute', async () => {
    const { code, out, ms } = await runDemo();
    expect(out).toContain('All outcomes as expected');
    expect(code, out).toBe(0);
    expect(ms).toBeLessThan(60_000);

    const plan = campaignCalls();
    const network = demoNetwork();
    const blocked = plan.filter((c) => c.spoof !== 'ordinary');
    const delivered = plan.filter((c) => c.spoof === 'ordinary');
    expect(out.match(/BLOCKED by \S+: 603 {2}Reason: Q\.850;cause=21/g)).toHaveLength(blocked.length);
    for (const c of blocked) expect(out).toMatch(new RegExp(`call +${c.n} .*${c.calling.replace('+', '\\+')} → .*BLOCKED`));

    // Each policy server reports on /metrics the blocks of the calls whose route reached it first.
    for (const p of network.providers.filter((x) => x.policyServer)) {
      const first = blocked.filter((c) => network.routes[c.route]!.legs.find((l) => network.providers.find((x) => x.id === l.provider)!.policyServer)!.provider === p.id);
      expect(out).toMatch(new RegExp(`^  ${p.id} +\\d+ INVITE\\(s\\): ${first.length} blocked`, 'm'));
    }

    for (const c of delivered) {
      const route = network.routes[c.route]!;
      const word = route.ends === 'originated' ? 'ORIGINATED: at voxnova' : 'FOREIGN: point of entry harborgate';
      expect(out).toMatch(new RegExp(`^call +${c.n}  \\${c.calling} → \\${c.called} +${word}`, 'm'));
    }
    const domestic = delivered.filter((c) => c.route === 'domestic').length;
    const foreign = delivered.length - domestic;
    expect(out).toContain(`${delivered.length + 1} tracebacks: ${domestic} originated at voxnova, ${foreign} entered the country at harborgate, 1 not found`);
    expect(out).toMatch(/^phantom .* NOT FOUND/m);
    // Every traceback's referral reaches the simulated agency and verifies offline (sim/agency.ts).
    expect(out).toMatch(new RegExp(`received ${delivered.length + 1} referral package\\(s\\) of campaign "warranty-robocalls",\n  ${delivered.length + 1} verified offline`));
    expect(out).toMatch(/Hub http:\/\/127\.0\.0\.1:\d+/);
  }, 90_000);
});

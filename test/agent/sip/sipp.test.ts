/**
 * sipp places calls through the policy server over UDP and TCP with the custom UAC scenario
 * (test/fixtures/sipp/policy-uac.xml) and an -inf list of callers; the 302 and 603 it counts must be exactly
 * those the callers' categories call for. DNO data: test/fixtures/dno (list-sample.csv, allutlzd-sample.txt),
 * with the unassigned category monitored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './policy-harness.js';
import { runSipp } from './sipp-runner.js';

const CALLED = '+13125550117';

/** Callers by what the policy must do with them, each with why. */
const CALLERS: { calling: string; called?: string; expect: 302 | 603; why: string }[] = [
  { calling: '+12025550100', expect: 603, why: 'listed' },
  { calling: '+12025550101', expect: 603, why: 'listed (written without +1 in the list)' },
  { calling: '+19005551234', expect: 603, why: 'listed by the +1900 prefix' },
  { calling: '+442079460000', expect: 603, why: 'listed, non-NANP' },
  { calling: '+12925550100', expect: 603, why: 'invalid: N9X area code' },
  { calling: '+11125550100', expect: 603, why: 'invalid: area code starting with 1' },
  { calling: '+12021550100', expect: 603, why: 'invalid: exchange starting with 1' },
  { calling: '+1202555010', expect: 603, why: 'invalid: nine digits' },
  { calling: '+12025560123', expect: 603, why: 'unallocated: 202-556 is not assigned' },
  { calling: '+13019990000', expect: 603, why: 'unallocated: 301-999 is not in the CO report for 301' },
  { calling: '+12025550102', expect: 302, why: 'unassigned, monitored' },
  { calling: '+13015550150', expect: 302, why: 'unassigned by range, monitored' },
  { calling: '+12025550143', expect: 302, why: 'clean' },
  { calling: '+13012340000', expect: 302, why: 'clean: 301-234 assigned' },
  { calling: '+12125550100', expect: 302, why: 'NPA 212 not in the CO report: unknown, never unallocated' },
  { calling: 'anonymous', expect: 302, why: 'withheld: not blocked for being withheld' },
  { calling: '+12025550100', called: '911', expect: 302, why: 'listed caller to an emergency number' },
];
const REPEAT = 12;
const TOTAL = CALLERS.length * REPEAT;
const lines = CALLERS.map((c) => `${c.calling};${c.called ?? CALLED}`);
const expected = (status: 302 | 603) => CALLERS.filter((c) => c.expect === status).length * REPEAT;

let harness: Harness;
const started = Date.now();
beforeAll(async () => {
  harness = await startHarness({ transports: ['udp', 'tcp'], actions: { unassigned: 'monitor' } });
});
afterAll(() => harness.stop());

describe.each(['udp', 'tcp'] as const)('sipp through the policy server over %s', (transport) => {
  it(`gets exactly the 603s and 302s the callers' categories call for (${TOTAL} calls)`, async () => {
    const before = {
      block: await harness.metric('hoptrace_sip_invites_total', { action: 'block' }),
      monitor: await harness.metric('hoptrace_sip_invites_total', { action: 'monitor' }),
    };
    const run = await runSipp({ port: harness.port(transport), transport, calls: lines, total: TOTAL, rate: 200, timeoutSec: 60 });
    expect({ exitCode: run.exitCode, invites: run.invites }, run.output).toEqual({ exitCode: 0, invites: TOTAL });
    expect(run.received).toEqual({ 100: 0, 302: expected(302), 404: 0, 503: 0, 608: 0, 603: expected(603) });
    // The server's own counts agree; they count every INVITE answered, so retransmissions (a loaded machine) add to them.
    const monitored = CALLERS.filter((c) => c.why.includes('monitored')).length * REPEAT;
    const blocks = (await harness.metric('hoptrace_sip_invites_total', { action: 'block' })) - before.block;
    const monitors = (await harness.metric('hoptrace_sip_invites_total', { action: 'monitor' })) - before.monitor;
    expect(blocks).toBeGreaterThanOrEqual(expected(603));
    expect(monitors).toBeGreaterThanOrEqual(monitored);
    expect(blocks + monitors).toBeLessThanOrEqual(expected(603) + monitored + run.retransmissions);
  });
});

describe('the calls sipp placed', () => {
  it('are all in the call index once, retransmissions or not, except those to a number that is not E.164 (911)', async () => {
    await harness.server.recorder.flush();
    const records = await harness.index.lookup(CALLED, started - 60_000, Date.now() + 60_000, 10_000);
    const toCalled = CALLERS.filter((c) => c.called === undefined).length * REPEAT * 2;
    expect(records).toHaveLength(toCalled);
    expect(records.filter((r) => r.anonymous).length).toBe(REPEAT * 2);
    expect(new Set(records.map((r) => r.ingress.ip))).toEqual(new Set(['127.0.0.1']));
  });
});

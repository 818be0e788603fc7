/**
 * The demo's robocall campaign as a plan: which calls the robocaller and the foreign gateway's peer place,
 * with what calling number, to which Lakeshore subscriber. A calling number is either an ordinary spoof (the
 * call goes through), a number on the hub's DNO list, an invalid NANP number, or one of Lakeshore's own
 * unassigned numbers (on its local list): the first policy server on the route blocks those. Pure and
 * deterministic: the same plan every run.
 */
export type Spoof = 'ordinary' | 'listed' | 'invalid' | 'unassigned';

export interface PlannedCall {
  /** 1-based, stable: names the call in the output. */
  n: number;
  route: 'domestic' | 'foreign';
  calling: string;
  called: string;
  spoof: Spoof;
}

/** Lakeshore's subscribers the campaign rings: one number per call, so each traceback names one call. */
const called = (i: number) => `+1773555${String(1000 + i).padStart(4, '0')}`;

/** Neighbour spoofing: numbers that look local to the called party. */
const ordinary = (i: number) => `+1773264${String(1000 + i * 37).padStart(4, '0')}`;

const DOMESTIC: readonly [Spoof, string][] = [
  ['ordinary', ordinary(1)],
  ['listed', '+12025550103'], // a government agency's inbound-only line
  ['ordinary', ordinary(2)],
  ['ordinary', ordinary(3)],
  ['invalid', '+11235550188'], // NPA 123: an area code never starts with 1
  ['ordinary', ordinary(4)],
  ['listed', '+18885550123'], // a bank's fraud-department line
  ['ordinary', ordinary(5)],
  ['ordinary', ordinary(6)],
  ['listed', '+12025550107'],
  ['ordinary', ordinary(7)],
  ['ordinary', ordinary(8)],
  ['unassigned', '+17735550194'], // Lakeshore's own spare number, spoofed at its own subscriber
];

const FOREIGN: readonly [Spoof, string][] = [
  ['ordinary', ordinary(11)],
  ['invalid', '+10215550111'], // NPA 021
  ['ordinary', ordinary(12)],
  ['invalid', '+17739115555'], // N11 exchange: 911 is never an exchange code
  ['ordinary', ordinary(13)],
];

export function campaignCalls(): PlannedCall[] {
  const plan: PlannedCall[] = [];
  const add = (route: PlannedCall['route'], [spoof, calling]: [Spoof, string]) => plan.push({ n: plan.length + 1, route, calling, called: called(plan.length + 1), spoof });
  // Interleaved as they would arrive: the robocaller and the foreign traffic at once.
  for (let i = 0; i < Math.max(DOMESTIC.length, FOREIGN.length); i++) {
    if (DOMESTIC[i]) add('domestic', DOMESTIC[i]!);
    if (FOREIGN[i]) add('foreign', FOREIGN[i]!);
  }
  return plan;
}

/** A complaint about a call Lakeshore never carried (a mistyped number): its traceback must end not_found. */
export function phantomCall(at: number): { calling: string; called: string; at: string } {
  return { calling: ordinary(99), called: called(999), at: new Date(at).toISOString() };
}

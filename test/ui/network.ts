/**
 * The simulated network for the UI tests: the demo's five carriers plus Northgate, a provider without an agent
 * (its hop is answered by a person), handing calls to Lakeshore from 127.0.0.9. Calls are put straight into
 * each carrier's call index as its sources would have learned them, so a test's traceback has a path to follow.
 */
import pino from 'pino';
import type { CallRecord } from '../../agent/calls/record.js';
import { type RunningNetwork, startNetwork } from '../../sim/carriers.js';
import { demoNetwork, type Leg, type Network } from '../../sim/network.js';

export const MANUAL_PROVIDER = { id: 'northgate', name: 'Northgate Communications' };

export function uiNetwork(): Network {
  const n = demoNetwork();
  n.providers.push({ ...MANUAL_PROVIDER, role: 'transit', reach: 'manual', policyServer: false, ingress: [], contact: { email: 'noc@northgate.example' } });
  n.providers.find((p) => p.id === 'lakeshore')!.ingress.push({ match: { cidr: '127.0.0.9/32' }, target: { upstream: { providerId: MANUAL_PROVIDER.id, name: MANUAL_PROVIDER.name } } });
  return n;
}

export function startUiNetwork(): Promise<RunningNetwork> {
  return startNetwork({ network: uiNetwork(), log: pino({ level: 'silent' }) });
}

export interface SeededCall {
  calling: string;
  called: string;
  at: string;
}

/** The call as each carrier on `legs` learned it (policy server: sip; else its switch's CDR format). */
export async function seedCall(net: RunningNetwork, legs: readonly Leg[], call: SeededCall): Promise<void> {
  const at = Date.parse(call.at);
  for (const leg of legs) {
    const p = net.network.providers.find((x) => x.id === leg.provider)!;
    const agent = net.agents.get(p.id);
    if (!agent) continue;
    const record: CallRecord = {
      at,
      calling: call.calling,
      called: call.called,
      source: p.policyServer ? 'sip' : `cdr:${p.cdr!.format}`,
      ingress: { ...((leg.ip ?? leg.sbc) && { ip: leg.ip ?? leg.sbc }), ...(leg.trunkGroup && { trunkGroup: leg.trunkGroup }) },
    };
    await agent.index.add([record]);
  }
}

let nextCalled = 0;
/** A call to a fresh Lakeshore subscriber, a minute ago. */
export function freshCall(calling = '+17732645001'): SeededCall {
  nextCalled++;
  return { calling, called: `+1773555${String(7000 + nextCalled)}`, at: new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

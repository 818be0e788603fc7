/**
 * Placing the planned calls through the running network, leg by leg from the origin: a carrier whose switch
 * writes CDRs gets a line in its file (in its format, on its clock); a carrier whose SBC asks a policy
 * server has the INVITE sent to its agent over UDP, and a 603/608 there ends the call. Then waits until every
 * agent has indexed what it was given, so tracebacks find the calls.
 */
import { appendFileSync } from 'node:fs';
import { cdrWriter } from './cdr-writers.js';
import type { PlannedCall } from './calls.js';
import type { RunningNetwork } from './carriers.js';
import type { Leg, SimProvider } from './network.js';
import { Sbc } from './sbc.js';

export interface PolicyDecision {
  provider: string;
  status: number;
  /** The Reason header of a block (`Q.850;cause=21;text="…"`). */
  reason?: string;
  tookMs: number;
}

export interface PlacedCall {
  call: PlannedCall;
  /** Every policy server's answer along the route, in order. */
  decisions: PolicyDecision[];
  /** The policy server that blocked the call, if one did. */
  blockedBy?: PolicyDecision;
  /** When the terminating carrier was asked about the call (its SBC sent the INVITE), epoch ms. */
  deliveredAt?: number;
  /** What each carrier should have indexed: provider, and the source it learned the call from. */
  learned: { provider: string; source: string }[];
}

export class NotIndexedError extends Error {
  override readonly name = 'NotIndexedError';
  constructor(readonly missing: readonly string[]) {
    super(`not indexed in time: ${missing.slice(0, 5).join('; ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  }
}

const BLOCKS = new Set([603, 608]);

export async function placeCalls(net: RunningNetwork, calls: readonly PlannedCall[], gapMs = 25): Promise<PlacedCall[]> {
  const providers = new Map(net.network.providers.map((p) => [p.id, p]));
  const sbcs = new Map<string, Sbc>();
  const seq = new Map<string, number>();
  const sbcAt = async (address: string) => sbcs.get(address) ?? sbcs.set(address, await Sbc.open(address)).get(address)!;
  const placed: PlacedCall[] = [];
  try {
    for (const call of calls) {
      const result: PlacedCall = { call, decisions: [], learned: [] };
      for (const leg of net.network.routes[call.route]!.legs) {
        const p = providers.get(leg.provider)!;
        const n = (seq.get(p.id) ?? 0) + 1;
        seq.set(p.id, n);
        if (p.cdr) writeCdr(net, p, leg, call, n, result);
        const server = net.policyServers.get(p.id);
        if (!server || !leg.sbc) continue;
        const sbc = await sbcAt(leg.sbc);
        if (p.role === 'terminating') result.deliveredAt = Date.now();
        const answer = await sbc.invite(server, call);
        const decision: PolicyDecision = { provider: p.id, status: answer.status, tookMs: answer.tookMs, ...(answer.headers.has('reason') && { reason: answer.headers.get('reason')! }) };
        result.decisions.push(decision);
        result.learned.push({ provider: p.id, source: 'sip' });
        if (BLOCKS.has(answer.status)) {
          result.blockedBy = decision;
          delete result.deliveredAt;
          break;
        }
      }
      placed.push(result);
      await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    await Promise.all([...sbcs.values()].map((s) => s.close()));
  }
  return placed;
}

function writeCdr(net: RunningNetwork, p: SimProvider, leg: Leg, call: PlannedCall, n: number, result: PlacedCall): void {
  const spec = p.cdr!;
  const line = cdrWriter(spec.format)(
    {
      at: Date.now() + spec.skewMs,
      calling: call.calling,
      called: call.called,
      ...((leg.ip ?? leg.sbc) && { ip: leg.ip ?? leg.sbc }),
      ...(leg.trunkGroup && { trunkGroup: leg.trunkGroup }),
      callId: `sim-${call.n}-${p.id}@${p.id}.sim`,
      seq: n,
    },
    spec.zone,
  );
  appendFileSync(net.cdrFiles.get(p.id)!, `${line}\n`);
  result.learned.push({ provider: p.id, source: `cdr:${spec.format}` });
}

/** Wait until each agent's index holds every call it learned (CDR tailers and SIP recorders write in batches). */
export async function waitUntilIndexed(net: RunningNetwork, placed: readonly PlacedCall[], timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const missing: string[] = [];
    for (const pc of placed) {
      for (const { provider, source } of pc.learned) {
        const index = net.agents.get(provider)!.index;
        const found = await index.lookup(pc.call.called, Date.now() - 3_600_000, Date.now() + 3_600_000, 16);
        if (!found.some((r) => r.source === source)) missing.push(`call ${pc.call.n} at ${provider} (${source})`);
      }
    }
    if (missing.length === 0) return;
    if (Date.now() > until) throw new NotIndexedError(missing);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * An independent SIP stack places calls through the policy server: the kirm `sip` package's UAC (its own
 * parser, INVITE client transaction, retransmissions and the ACK of a non-2xx answer) over UDP on loopback.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './policy-harness.js';
import { freeUdpPort } from '../../helpers/udp-port.js';

interface KirmUri {
  uri: string;
  params?: Record<string, string | null | undefined>;
}
interface KirmRequest {
  method: string;
  uri: string;
  headers: Record<string, unknown>;
}
interface KirmResponse {
  status: number;
  reason: string;
  headers: { contact?: KirmUri[]; to?: KirmUri; reason?: string; 'call-id'?: string; [name: string]: unknown };
}
interface KirmStack {
  send(request: KirmRequest, onResponse: (response: KirmResponse) => void): void;
  destroy(): void;
}
// CommonJS without types; only the UAC side is used here.
const kirm = createRequire(import.meta.url)('sip') as {
  create(options: { address: string; publicAddress: string; port: number; udp: boolean; tcp: boolean }, onRequest: (request: KirmRequest) => void): KirmStack;
};

let harness: Harness;
let uac: KirmStack;
let uacPort: number;
const strayRequests: KirmRequest[] = [];
beforeAll(async () => {
  harness = await startHarness({ transports: ['udp'] });
  uacPort = await freeUdpPort();
  // kirm takes a Request-URI on its own host name for one of its flows: give it another name. That name, in
  // its Via, is never resolved: the answers reach it at the packet's source.
  uac = kirm.create({ address: '127.0.0.1', publicAddress: 'kirm-uac.invalid', port: uacPort, udp: true, tcp: false }, (rq) =>
    strayRequests.push(rq),
  );
});
afterAll(async () => {
  uac.destroy();
  await harness.stop();
});

/** Places a call and resolves with its final answer. */
function call(calling: string, callId: string): Promise<KirmResponse> {
  const server = harness.port('udp');
  return new Promise((resolve) => {
    uac.send(
      {
        method: 'INVITE',
        uri: `sip:+13125550117@127.0.0.1:${server};user=phone`,
        headers: {
          to: { uri: 'sip:+13125550117@127.0.0.1;user=phone' },
          from: { uri: `sip:${calling}@127.0.0.1;user=phone`, params: { tag: `${callId}-tag` } },
          'call-id': callId,
          cseq: { method: 'INVITE', seq: 1 },
          contact: [{ uri: `sip:${calling}@127.0.0.1:${uacPort}` }],
          'max-forwards': 70,
        },
      },
      (rs) => {
        if (rs.status >= 200) resolve(rs);
      },
    );
  });
}

describe('a call placed by the kirm sip UAC', () => {
  it('is declined with 603 and the Q.850 Reason when its caller is DNO-listed', async () => {
    const rs = await call('+12025550100', 'kirm-block');
    expect([rs.status, rs.reason, rs.headers.reason]).toEqual([603, 'Decline', 'Q.850;cause=21;text="Call Rejected"']);
    expect(rs.headers.to?.params?.tag).toMatch(/^[0-9a-f]{16}$/);
  });

  it('is redirected with 302 to its Request-URI when its caller is clean', async () => {
    const rs = await call('+13015550000', 'kirm-continue');
    expect([rs.status, rs.headers['call-id']]).toEqual([302, 'kirm-continue']);
    expect(rs.headers.contact?.map((c) => c.uri)).toEqual([`sip:+13125550117@127.0.0.1:${harness.port('udp')};user=phone`]);
  });

  it('leaves the ACKs kirm sent unanswered, learns both calls and sends the UAC no request', async () => {
    await harness.server.recorder.flush();
    const records = await harness.index.lookup('+13125550117', Date.now() - 60_000, Date.now() + 1_000, 100);
    expect(records.map((r) => r.calling).sort()).toEqual(['+12025550100', '+13015550000']);
    // kirm's transaction sends the ACK once it has handed the answer over: wait for it.
    const acks = () => harness.metric('hoptrace_sip_requests_total', { method: 'ACK' });
    for (let waited = 0; (await acks()) < 2 && waited < 2_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(await acks()).toBe(2);
    // One answer per INVITE (retransmissions included), none for the ACKs.
    const invites = await harness.metric('hoptrace_sip_requests_total', { method: 'INVITE' });
    expect([invites >= 2, await harness.observations('hoptrace_sip_response_seconds')]).toEqual([true, invites]);
    expect(strayRequests).toEqual([]);
    expect(await harness.metric('hoptrace_sip_parse_errors_total')).toBe(0);
  });
});

/** A site can start with DNO enforcement alone: `hoptrace-agent --provider ID --sip udp:… --dno-file FILE`, no hub, no file. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type Proc } from '../../helpers/proc.js';
import { headerOf, statusOf, udpClient, type UdpClient } from './policy-harness.js';
import { baseWith, sip } from './messages.js';
import { freeUdpPort } from '../../helpers/udp-port.js';

const LIST = fileURLToPath(new URL('../../fixtures/dno/list-sample.csv', import.meta.url));

const request = (method: string, caller: string, callId: string) =>
  sip([
    `${method} sip:+13125550117@127.0.0.1;user=phone SIP/2.0`,
    ...baseWith('from', `From: <sip:${caller}@198.51.100.7;user=phone>;tag=cli`).filter((h) => !/^(CSeq|Call-ID)/.test(h)),
    `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
  ]);

let agent: Proc;
let client: UdpClient;
let port: number;
beforeAll(async () => {
  port = await freeUdpPort();
  agent = runCli('agent/cli.ts', ['--provider', 'dno-only', '--sip', `udp:127.0.0.1:${port}`, '--dno-file', LIST, '--http', '127.0.0.1:0']);
  await agent.waitFor(/SIP policy server listening/, 30_000);
  await agent.waitFor(/agent started/, 30_000);
  client = await udpClient();
});
afterAll(async () => {
  await client?.close();
  await agent?.kill();
});

describe('hoptrace-agent with --sip and --dno-file only', () => {
  it('declines a caller on the local list with 603 and its Reason', async () => {
    client.send(request('INVITE', '+12025550100', 'cli-1'), port);
    const answer = await client.next(5_000);
    expect([statusOf(answer), headerOf(answer, 'Reason')]).toEqual([603, 'Q.850;cause=21;text="Call Rejected"']);
  });

  it('redirects a clean caller with 302 to the Request-URI', async () => {
    client.send(request('INVITE', '+13125550100', 'cli-2'), port);
    const answer = await client.next(5_000);
    expect([statusOf(answer), headerOf(answer, 'Contact')]).toEqual([302, '<sip:+13125550117@127.0.0.1;user=phone>']);
  });

  it('answers the SBC\'s OPTIONS pings', async () => {
    client.send(request('OPTIONS', '+13125550100', 'cli-3'), port);
    expect(statusOf(await client.next(5_000))).toBe(200);
  });
});

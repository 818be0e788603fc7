/** The policy server over a real UDP socket: where answers go, retransmissions, outages of the stores, logs. */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnoEntry } from '../../../proto/messages.js';
import type { CallRecord } from '../../../agent/calls/record.js';
import type { CallIndex } from '../../../agent/calls/store.js';
import { LiveDno } from '../../../agent/dno/live.js';
import { MemoryDnoCache } from '../../../agent/dno/memory-cache.js';
import { headerOf, startHarness, statusOf, udpClient, type Harness, type UdpClient } from './policy-harness.js';
import { sip } from './messages.js';
import { CALLED as SHAKEN_CALLED, CALLING as SHAKEN_CALLING, claimsFor, identityHeader, passport, x5uOf } from './shaken.js';

/** An INVITE whose Via names a host and port that are not the sender's (and no rport). */
function invite(calling: string, callId: string, via = 'Via: SIP/2.0/UDP 192.0.2.77:5999;branch=z9hG4bK-u1', extra: string[] = []): Buffer {
  return sip([
    'INVITE sip:+12025550143@127.0.0.1;user=phone SIP/2.0',
    via,
    'Max-Forwards: 70',
    `From: <sip:${calling}@192.0.2.77;user=phone>;tag=u1`,
    'To: <sip:+12025550143@127.0.0.1;user=phone>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    ...extra,
    'Content-Length: 0',
  ]);
}

/** The embedded DNO cache, made unreachable at will. */
class UnreachableCache extends MemoryDnoCache {
  down = false;
  override version(): Promise<number> {
    return this.down ? Promise.reject(new Error('connection refused')) : super.version();
  }
  override entries(): AsyncIterable<DnoEntry[]> {
    return this.down ? refused() : super.entries();
  }
}

async function* refused(): AsyncIterable<DnoEntry[]> {
  yield* [];
  throw new Error('connection refused');
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

let harness: Harness | undefined;
let client: UdpClient | undefined;
let live: LiveDno | undefined;
afterEach(async () => {
  live?.stop();
  await client?.close();
  await harness?.stop();
  harness = client = live = undefined;
});

describe('the policy server over UDP', () => {
  it("answers the packet's source address and port, stamping received, not the host the Via names", async () => {
    harness = await startHarness();
    client = await udpClient();
    client.send(invite('+12025550100', 'src-1'), harness.port('udp'));
    const answer = await client.next();
    expect(statusOf(answer)).toBe(603);
    expect(headerOf(answer, 'Via')).toBe('SIP/2.0/UDP 192.0.2.77:5999;branch=z9hG4bK-u1;received=127.0.0.1');
  });

  it('answers a retransmitted INVITE with the same bytes', async () => {
    harness = await startHarness();
    client = await udpClient();
    const message = invite('+13015550000', 'retrans-1', 'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-r;rport');
    client.send(message, harness.port('udp'));
    const first = await client.next();
    client.send(message, harness.port('udp'));
    const again = await client.next();
    expect(statusOf(first)).toBe(302);
    expect(again?.equals(first!)).toBe(true);
  });

  it('keeps serving after garbage, an empty datagram and one too large to parse', async () => {
    harness = await startHarness();
    client = await udpClient();
    const port = harness.port('udp');
    for (const junk of [Buffer.alloc(0), Buffer.from([0, 1, 2, 255]), Buffer.alloc(65_000, 0x41), Buffer.from('\r\n\r\n')]) client.send(junk, port);
    client.send(invite('+12025550100', 'after-junk'), port);
    expect(statusOf(await client.next())).toBe(603);
  });

  it('logs the receive buffer it got, and warns when the kernel granted less than configured', async () => {
    const { log, lines } = capture();
    // Linux grants min(requested, net.core.rmem_max) and reports it doubled (socket(7)).
    const granted = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8')) * 2;
    const requested = granted + 65_536;
    harness = await startHarness({ log, recvBufferBytes: requested });
    expect(lines.find((l) => l.msg === 'SIP policy server listening')).toMatchObject({ recvBufferBytes: granted });
    expect(lines.find((l) => /UDP receive buffer smaller than configured/.test(String(l.msg)))).toMatchObject({ requested, granted });
  });

  it('logs every block and monitored call with what matched, for audit', async () => {
    const { log, lines } = capture();
    harness = await startHarness({ log, actions: { unassigned: 'monitor' } });
    client = await udpClient();
    client.send(invite('+12025550100', 'audit-1'), harness.port('udp'));
    client.send(invite('+12025550102', 'audit-2'), harness.port('udp'));
    client.send(invite('+13015550000', 'audit-3'), harness.port('udp'));
    expect([statusOf(await client.next()), statusOf(await client.next()), statusOf(await client.next())]).toEqual([603, 302, 302]);
    const audit = lines.filter((l) => l.msg === 'DNO block' || l.msg === 'DNO monitor');
    expect(audit).toEqual([
      expect.objectContaining({ msg: 'DNO block', category: 'listed', rule: 'listed:+12025550100', listVersion: 3, calling: '+12025550100', callId: 'audit-1', status: 603 }),
      expect.objectContaining({ msg: 'DNO monitor', category: 'unassigned', rule: 'unassigned:+12025550102', callId: 'audit-2', status: 302 }),
    ]);
    expect(audit[0]?.from).toMatch(/^127\.0\.0\.1:[0-9]+$/);
  });

  it('keeps deciding from the last DNO snapshot while the DNO cache is unreachable', async () => {
    const cache = new UnreachableCache();
    await cache.apply({ version: 5, full: true, add: [{ number: '+13125550100', category: 'listed' }], remove: [] });
    live = new LiveDno({ cache, log: pino({ level: 'silent' }), retryMs: 10 });
    await live.start();
    harness = await startHarness({ live });
    client = await udpClient();
    cache.down = true;
    await live.refresh();
    client.send(invite('+13125550100', 'outage-1'), harness.port('udp'));
    expect(statusOf(await client.next())).toBe(603);
    expect(live.snapshot.version).toBe(5);
  });

  it('learns the SHAKEN identity the INVITE carried, after answering it', async () => {
    harness = await startHarness({ identity: {} });
    client = await udpClient();
    const at = Math.floor(Date.now() / 1000);
    const header = `Identity: ${identityHeader(passport({ ...claimsFor(at, 'B'), origid: 'origin-7' }), x5uOf('sp'))}`;
    client.send(invite(SHAKEN_CALLING, 'shaken-1', undefined, [header]), harness.port('udp'));
    expect(statusOf(await client.next())).toBe(302);
    await harness.server.recorder.flush();
    const [record] = await harness.index.lookup(SHAKEN_CALLED, Date.now() - 60_000, Date.now() + 1_000);
    // No certificate directory: decoded and recorded, not verified.
    expect(record?.identity).toMatchObject({ attest: 'B', origid: 'origin-7', verified: false });
  });

  it('answers at once while the call index hangs, queueing the calls to learn', async () => {
    const hanging: CallIndex = {
      add: () => new Promise<void>(() => undefined),
      lookup: async () => [] as CallRecord[],
      ping: async () => false,
      close: async () => undefined,
    };
    harness = await startHarness({ index: hanging, recorder: { batchSize: 10, flushMs: 10_000 } });
    client = await udpClient();
    const started = Date.now();
    for (let i = 0; i < 50; i++) client.send(invite('+13015550000', `hang-${i}`), harness.port('udp'));
    const answers = [];
    for (let i = 0; i < 50; i++) answers.push(statusOf(await client.next()));
    expect(answers).toEqual(new Array(50).fill(302));
    expect(Date.now() - started).toBeLessThan(2_000);
    // One batch is stuck in the store; the rest wait in the queue.
    expect(harness.server.recorder.queued).toBe(40);
  });
});

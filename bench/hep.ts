/**
 * HEP collector throughput: HEPv3 decode alone, the per-packet path of the collector (decode, SIP parse, the
 * policy record), SHAKEN identity verification (ES256) per signed INVITE, and mirrored INVITEs over loopback
 * UDP into a running collector. ≈1.2 KB INVITEs, 1,000 variants, half IPv4 and half IPv6. Rates are by this
 * process's CPU time (they hold on a busy shared machine); median of 3 runs.
 *
 *   npx tsx bench/hep.ts
 */
import dgram from 'node:dgram';
import { createPrivateKey, sign } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { CallRecord } from '../agent/calls/record.js';
import type { CallIndex } from '../agent/calls/store.js';
import { CoTable } from '../agent/dno/cotable.js';
import { buildSnapshot } from '../agent/dno/snapshot.js';
import { CertDirectory, certFileName } from '../agent/sip/certs.js';
import { decodeHep, HepError } from '../agent/sip/hep.js';
import { startHepCollector } from '../agent/sip/hep-collector.js';
import { identityOf } from '../agent/sip/identity.js';
import { parseSip } from '../agent/sip/parser.js';
import { policyContext, recordInvite } from '../agent/sip/policy.js';

const VARIANTS = 1_000;
const RUNS = 3;
const FIXTURES = new URL('../test/fixtures/shaken/', import.meta.url).pathname;
const X5U = 'https://cert.example.net/sp.pem';
const NOW = Math.floor(Date.now() / 1000);

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const u32 = (n: number) => Buffer.from([n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
const chunk = (type: number, value: Buffer) => Buffer.concat([u16(0), u16(type), u16(value.length + 6), value]);
const b64 = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');
const key = createPrivateKey(readFileSync(join(FIXTURES, 'sp.key')));

function passport(caller: string, called: string): string {
  const h = b64({ alg: 'ES256', typ: 'passport', ppt: 'shaken', x5u: X5U });
  const c = b64({ attest: 'A', dest: { tn: [called.slice(1)] }, iat: NOW, orig: { tn: caller.slice(1) }, origid: '4d5b65f6-7349-4d42-9fa4-b606ce935733' });
  return `${h}.${c}.${sign('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function invite(n: number): Buffer {
  const caller = `+1312555${String(n % 10_000).padStart(4, '0')}`;
  const called = '+12025550143';
  const sdp = ['v=0', `o=- ${n} 1 IN IP4 198.51.100.7`, 's=-', 'c=IN IP4 198.51.100.7', 't=0 0', 'm=audio 20000 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000', ''].join('\r\n');
  return Buffer.from(
    [
      `INVITE sip:${called}@192.0.2.10:5060;user=phone SIP/2.0`,
      `Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-${n}-a;rport`,
      'Max-Forwards: 69',
      `From: "Caller ${n}" <sip:${caller}@198.51.100.7;user=phone>;tag=${n.toString(36)}`,
      `To: <sip:${called}@192.0.2.10;user=phone>`,
      `Call-ID: ${n.toString(16)}-c0ffee@198.51.100.7`,
      'CSeq: 1 INVITE',
      `Contact: <sip:${caller}@198.51.100.7:5060;transport=udp>`,
      `P-Asserted-Identity: <tel:${caller}>`,
      `Identity: ${passport(caller, called)};info=<${X5U}>;alg=ES256;ppt=shaken`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      '',
      sdp,
    ].join('\r\n'),
    'latin1',
  );
}

function hep(n: number, at: number): Buffer {
  const v6 = n % 2 === 1;
  const src = v6 ? Buffer.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), n % 250]) : Buffer.from([203, 0, 113, n % 250]);
  const dst = v6 ? Buffer.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1]) : Buffer.from([192, 0, 2, 10]);
  const body = Buffer.concat([
    chunk(1, Buffer.from([v6 ? 10 : 2])),
    chunk(2, Buffer.from([17])),
    chunk(v6 ? 5 : 3, src),
    chunk(v6 ? 6 : 4, dst),
    chunk(7, u16(5060)),
    chunk(8, u16(5060)),
    chunk(9, u32(Math.floor(at / 1000))),
    chunk(10, u32((at % 1000) * 1000)),
    chunk(11, Buffer.from([1])),
    chunk(12, u32(2001)),
    chunk(15, invite(n)),
  ]);
  return Buffer.concat([Buffer.from('HEP3'), u16(body.length + 6), body]);
}

/** Operations per second of CPU time for `ops` calls of `op` over the inputs. */
function rate(ops: number, op: (i: number) => number): number {
  let sink = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < ops; i++) sink += op(i);
  const cpu = process.cpuUsage(cpu0);
  if (sink === 0) throw new Error('nothing done');
  return (ops / (cpu.user + cpu.system)) * 1e6;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

const fmt = (r: number) => Math.round(r).toLocaleString('en-US');
function report(name: string, ops: number, op: (i: number) => number): void {
  rate(Math.min(ops, 10_000), op); // warm-up
  const r = median(Array.from({ length: RUNS }, () => rate(ops, op)));
  console.log(`${name.padEnd(44)} ${fmt(r).padStart(9)} /s CPU time   ${(1e6 / r).toFixed(2).padStart(7)} µs each`);
}

const now = Date.now();
const packets = Array.from({ length: VARIANTS }, (_, n) => hep(n, now));
const avg = Math.round(packets.reduce((s, p) => s + p.length, 0) / packets.length);
console.log(`HEPv3 packets of ${avg} bytes (SIP INVITE with PAI, SHAKEN Identity, SDP), ${VARIANTS} variants, half IPv6; median of ${RUNS} runs`);
console.log(`Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)}`);

report('decodeHep', 1_000_000, (i) => {
  const p = decodeHep(packets[i % VARIANTS] as Buffer);
  return p instanceof HepError ? 0 : p.payload.length;
});

const policy = policyContext(
  { continueMode: '302', block: { code: 603, reasonText: 'Call Rejected' }, callingFrom: 'pai' },
  {
    snapshot: buildSnapshot([{ number: '+13125550100', category: 'listed' }], { version: 1, coAssigned: new CoTable([202_555, 312_555], []) }),
    actions: { listed: 'block', invalid: 'block', unallocated: 'block', unassigned: 'block' },
    emergency: [],
  },
  'hep',
);
const learn = (packet: Buffer): CallRecord | null => {
  const p = decodeHep(packet);
  if (p instanceof HepError) return null;
  const parsed = parseSip(p.payload);
  if (!parsed.ok) return null;
  return recordInvite(parsed.msg, { address: p.srcIp ?? '', port: p.srcPort ?? 0, at: now }, policy);
};
report('decode + parseSip + policy record', 300_000, (i) => (learn(packets[i % VARIANTS] as Buffer) ? 1 : 0));

const dir = mkdtempSync(join(tmpdir(), 'hoptrace-bench-certs-'));
copyFileSync(join(FIXTURES, 'sp.pem'), join(dir, certFileName(X5U)));
const certs = CertDirectory.load(dir);
const identities = packets.map((p) => {
  const d = decodeHep(p);
  if (d instanceof HepError) throw d;
  const parsed = parseSip(d.payload);
  if (!parsed.ok) throw new Error(parsed.error.reason);
  const msg = parsed.msg;
  return { lines: msg.identity(), call: { calling: msg.pai()[0]?.uri.user ?? '', called: '+12025550143', at: now } };
});
report('identityOf (decode + ES256 verify)', 20_000, (i) => {
  const { lines, call } = identities[i % VARIANTS]!;
  return identityOf(lines, call, { certs })?.verified ? 1 : 0;
});
rmSync(dir, { recursive: true });

/** Loopback: bursts of mirrored INVITEs into a running collector; counts what it learned. */
class CountingIndex implements CallIndex {
  count = 0;
  async add(records: readonly CallRecord[]): Promise<void> {
    this.count += records.length;
  }
  async lookup(): Promise<CallRecord[]> {
    return [];
  }
  async ping(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

const TOTAL = 100_000;
/** Packets sent but not yet taken by the collector: enough to keep it busy, well below the receive buffer. */
const WINDOW = 1_000;
const index = new CountingIndex();
const collector = await startHepCollector({
  listen: { transport: 'udp', host: '127.0.0.1', port: 0 },
  recvBufferBytes: 8 * 1024 * 1024,
  policy,
  index,
  log: pino({ level: 'silent' }),
});
// Distinct Call-IDs per packet: each is a new call (the collector drops repeats).
const unique = Array.from({ length: TOTAL }, (_, n) => hep(n + VARIANTS, now));
const sender = dgram.createSocket('udp4');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const taken = () => collector.counts.invite + collector.counts.other;
for (let sent = 0; sent < TOTAL; ) {
  // libuv reads at most 32 datagrams per loop turn: an open-loop sender in this process would outrun it.
  for (const end = Math.min(TOTAL, taken() + WINDOW); sent < end; sent++) sender.send(unique[sent] as Buffer, collector.port, '127.0.0.1');
  await new Promise((resolve) => setImmediate(resolve));
  if (performance.now() - t0 > 60_000) break;
}
while (taken() < TOTAL && performance.now() - t0 < 60_000) await new Promise((resolve) => setTimeout(resolve, 10));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await collector.recorder.flush();
console.log(
  `loopback UDP, ${fmt(TOTAL)} INVITEs, ${fmt(WINDOW)} in flight (sender in the same process): ${fmt(collector.counts.invite)} learned ` +
    `(${((collector.counts.invite / TOTAL) * 100).toFixed(2)}%) in ${seconds.toFixed(2)} s = ${fmt(collector.counts.invite / seconds)}/s, ` +
    `${fmt(collector.counts.invite / ((cpu.user + cpu.system) / 1e6))}/s CPU time incl. sender; ${fmt(index.count)} indexed`,
);
sender.close();
await collector.stop();

/**
 * SIP parse throughput on the policy server's hot path: a ≈1.2 KB INVITE (2 Vias, From with a display
 * name, PAI sip + tel, a SHAKEN Identity, SDP body), 1,000 variants cycled; each parse also extracts
 * what a decision reads: From user, To, top Via, PAI and Identity. Prints the median of 5 runs by this
 * process's CPU time and by wall clock, beside a yardstick: the minimal split + regex extraction that
 * sip-notes §2 measured at 204,823 msg/s on an idle 2-core machine, so that figures taken on a busy
 * machine can be scaled.
 *
 *   npx tsx bench/sip-parse.ts
 */
import { loadavg } from 'node:os';
import { parseSip } from '../agent/sip/parser.js';

const PARSES = 100_000;
const VARIANTS = 1_000;
const RUNS = 5;

// A SHAKEN PASSporT (RFC 8225/8588) of realistic length; the bytes are not verified here.
const passport = `eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jZXJ0LmV4YW1wbGUub3JnL3Bhc3Nwb3J0LnBlbSJ9.${'eyJhdHRlc3QiOiJBIiwiZGVzdCI6eyJ0biI6WyIxMjAyNTU1MDE0MyJdfSwiaWF0IjoxNzAwMDAwMDAwLCJvcmlnIjp7InRuIjoiMTMxMjU1NTAxMTcifSwib3JpZ2lkIjoiNGQ1YjY1ZjYtNzM0OS00ZDQyLTlmYTQtYjYwNmNlOTM1NzMzIn0'}.${'K0ZtUSLb1HPpWOuTcrJWPLqTY8kA2yWdVDDJo5w0n0rYWovnLFrBYCMqD6FL7xF6VtxLhYVxQq7MNlIuGa1cXg'}`;

function invite(n: number): Buffer {
  const caller = `+1312555${String(n % 10_000).padStart(4, '0')}`;
  const sdp = [
    'v=0',
    `o=- ${1_000_000 + n} 1 IN IP4 198.51.100.7`,
    's=-',
    'c=IN IP4 198.51.100.7',
    't=0 0',
    `m=audio ${20_000 + (n % 1_000) * 2} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    '',
  ].join('\r\n');
  const head = [
    'INVITE sip:+12025550143@192.0.2.10:5060;user=phone SIP/2.0',
    `Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-${n}-a;rport`,
    `Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-${n}-b;received=203.0.113.5`,
    'Max-Forwards: 69',
    `From: "Caller ${n}" <sip:${caller}@198.51.100.7;user=phone>;tag=f${n}x`,
    'To: <sip:+12025550143@192.0.2.10;user=phone>',
    `Call-ID: ${n.toString(16)}-c0ffee@198.51.100.7`,
    'CSeq: 1 INVITE',
    `Contact: <sip:${caller}@198.51.100.7:5060;transport=udp>`,
    `P-Asserted-Identity: "Caller ${n}" <sip:${caller}@198.51.100.7;user=phone>, <tel:${caller}>`,
    `Identity: ${passport};info=<https://cert.example.org/passport.pem>;alg=ES256;ppt=shaken`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.from(head + sdp, 'latin1');
}

function hoptrace(buf: Buffer): number {
  const r = parseSip(buf);
  if (!r.ok) throw new Error(r.error.reason);
  const m = r.msg;
  return (m.from()?.uri.user?.length ?? 0) + (m.to()?.uri.user?.length ?? 0) + (m.via()[0]?.branch?.length ?? 0) + m.pai().length + m.identity().length;
}

/** The yardstick: header split and five regular expressions, no validation. */
function splitAndRegex(buf: Buffer): number {
  const text = buf.toString('latin1');
  const lines = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
  const h = new Map<string, string[]>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = h.get(name);
    if (values) values.push(line.slice(colon + 1).trim());
    else h.set(name, [line.slice(colon + 1).trim()]);
  }
  const user = (v = '') => /<?(?:sips?|tel):\+?([^@;>]+)/.exec(v)?.[1] ?? '';
  const branch = /branch=([^;,\s]+)/.exec(h.get('via')?.[0] ?? '')?.[1] ?? '';
  const pai = (h.get('p-asserted-identity') ?? []).flatMap((v) => v.split(',')).map(user);
  return user(h.get('from')?.[0]).length + user(h.get('to')?.[0]).length + branch.length + pai.length + (h.get('identity')?.length ?? 0);
}

/** Rates by wall clock and by this process's CPU time (the latter holds on a busy shared machine). */
function rate(parse: (buf: Buffer) => number, messages: readonly Buffer[]): { wall: number; cpu: number } {
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PARSES; i++) sink += parse(messages[i % messages.length] as Buffer);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  if (sink === 0) throw new Error('nothing extracted');
  return { wall: (PARSES / wallNs) * 1e9, cpu: (PARSES / (cpu.user + cpu.system)) * 1e6 };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

const messages = Array.from({ length: VARIANTS }, (_, n) => invite(n));
const avgBytes = Math.round(messages.reduce((sum, m) => sum + m.length, 0) / messages.length);
const fmt = (r: number) => Math.round(r).toLocaleString('en-US');
console.log(
  `${fmt(PARSES)} parses of a ${avgBytes}-byte INVITE, ${VARIANTS} variants, median of ${RUNS} runs ` +
    `(Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)})`,
);
// Runs alternate between the two so that a change in the machine's load hits both alike.
for (const parse of [hoptrace, splitAndRegex]) rate(parse, messages); // warm-up
const runs = Array.from({ length: RUNS }, () => ({ ours: rate(hoptrace, messages), yardstick: rate(splitAndRegex, messages) }));
for (const name of ['ours', 'yardstick'] as const) {
  const label = name === 'ours' ? 'parseSip + extraction' : 'split + regex yardstick';
  const cpu = median(runs.map((r) => r[name].cpu));
  const wall = median(runs.map((r) => r[name].wall));
  console.log(`${label.padEnd(24)} ${fmt(cpu).padStart(9)} msg/s CPU time   ${fmt(wall).padStart(9)} msg/s wall clock`);
}
const ratio = median(runs.map((r) => r.ours.cpu / r.yardstick.cpu));
console.log(`parseSip runs at ${ratio.toFixed(2)} of the yardstick: ≈ ${fmt(ratio * 204_823)} msg/s on the idle machine of sip-notes §2`);

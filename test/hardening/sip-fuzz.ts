/**
 * Mutation fuzzing of the SIP answer path and the HEP decoder, seeded by the RFC 4475 torture messages
 * (read from the shared corpus beside the work tree, never written). Shared by the short CI run
 * (test/hardening/sip-fuzz.test.ts) and the long one (`npm run soak`, bench/soak-fuzz.ts).
 *
 * A failure is any of: an exception escaping `answerSip`, a lazy message helper, `recordInvite`, `identityOf`,
 * `decodeHep` or `HepFramer`; the parser's own catch-all firing ('Parser fault': an exception it swallowed);
 * a response that is not a SIP response; one input taking longer than `slowMs` each of four times (a hang or
 * a quadratic path).
 * The PRNG is seeded, so a failure reproduces from its seed and iteration.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSnapshot } from '../../agent/dno/snapshot.js';
import { CoTable } from '../../agent/dno/cotable.js';
import { decodeHep, HepError, HepFramer } from '../../agent/sip/hep.js';
import { identityOf } from '../../agent/sip/identity.js';
import { parseSip, type SipMessage } from '../../agent/sip/parser.js';
import { policyContext, recordInvite, type InviteSource } from '../../agent/sip/policy.js';
import { answerSip } from '../../agent/sip/responder.js';
import { chunk, hepPacket } from '../agent/sip/hep-packets.js';
import { prng } from '../helpers/prng.js';

/**
 * The shared corpus (shared/ sits beside the work tree, in CI too); the byte-identical copy under
 * test/fixtures (checked against its SHA256SUMS by rfc4475.test.ts) where shared/ is absent.
 */
export const RFC4475_DIR = [resolve(import.meta.dirname, '../../../shared/corpora/rfc4475'), resolve(import.meta.dirname, '../fixtures/rfc4475')].find((d) =>
  existsSync(d),
) as string;

/** The torture messages plus a plain signed INVITE, as bytes. */
export function loadCorpus(dir = RFC4475_DIR): Buffer[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.dat')).sort();
  if (files.length === 0) throw new Error(`no .dat messages in ${dir}`);
  return [...files.map((f) => readFileSync(join(dir, f))), PLAIN_INVITE];
}

const PLAIN_INVITE = Buffer.from(
  [
    'INVITE sip:+12025550143@127.0.0.1;user=phone SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-f1;rport',
    'Max-Forwards: 70',
    'From: "Caller" <sip:+13125550117@127.0.0.1;user=phone>;tag=f1',
    'To: <sip:+12025550143@127.0.0.1;user=phone>',
    'P-Asserted-Identity: <sip:+13125550117@127.0.0.1>, <tel:+13125550117>',
    'Identity: eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly94In0.eyJhdHRlc3QiOiJBIn0.c2ln;info=<https://x>;alg=ES256;ppt=shaken',
    'Call-ID: fuzz-1@127.0.0.1',
    'CSeq: 1 INVITE',
    'Content-Type: application/sdp',
    'Content-Length: 4',
    '',
    'v=0\n',
  ].join('\r\n'),
  'latin1',
);

/** Bytes that end or split SIP tokens: where parsers go wrong. */
const INTERESTING = [0, 9, 10, 13, 32, 34, 37, 44, 58, 59, 60, 62, 64, 92, 127, 128, 255];
const TOKENS = ['\r\n', '\r\n ', '\r\n\r\n', ';', ',', '%00', '%', '"', '\\', '<', '>', ':', '@', 'sip:', 'tel:', '=', '99999999999999999999', '-1', 'Content-Length: 0\r\n', 'Via: SIP/2.0/UDP h;branch=z9hG4bK\r\n'];

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const upTo = (r: Rand, n: number): number => Math.floor(r() * (n + 1));

/** One to four byte-level edits of `base`, sometimes spliced with `other`; capped at `maxBytes`. */
export function mutate(base: Buffer, other: Buffer, r: Rand, maxBytes = 70 * 1024): Buffer {
  let buf: Buffer = Buffer.from(base);
  const edits = 1 + upTo(r, 3);
  for (let e = 0; e < edits; e++) {
    const at = upTo(r, buf.length);
    switch (Math.floor(r() * 9)) {
      case 0: // flip a bit
        if (buf.length) buf[Math.min(at, buf.length - 1)]! ^= 1 << upTo(r, 7);
        break;
      case 1: // an interesting byte
        if (buf.length) buf[Math.min(at, buf.length - 1)] = pick(r, INTERESTING);
        break;
      case 2: // insert a token
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(pick(r, TOKENS), 'latin1'), buf.subarray(at)]);
        break;
      case 3: // delete a range
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + upTo(r, 64))]);
        break;
      case 4: // duplicate a range in place (repeated headers, doubled separators)
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + 1 + upTo(r, 200)), buf.subarray(at)]);
        break;
      case 5: // truncate
        buf = buf.subarray(0, at);
        break;
      case 6: // splice the tail of another message
        buf = Buffer.concat([buf.subarray(0, at), other.subarray(upTo(r, other.length))]);
        break;
      case 7: // repeat one line many times (a thousand Vias): quadratic paths show up as slow inputs
        buf = repeatLine(buf, at, 1 + upTo(r, 2000));
        break;
      default: // random bytes
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(Array.from({ length: 1 + upTo(r, 16) }, () => upTo(r, 255))), buf.subarray(at)]);
    }
    if (buf.length > maxBytes) buf = buf.subarray(0, maxBytes);
  }
  return buf;
}

function repeatLine(buf: Buffer, at: number, times: number): Buffer {
  const start = buf.lastIndexOf(10, at - 1) + 1;
  const end = buf.indexOf(10, at);
  if (end < 0 || end <= start) return buf;
  const line = buf.subarray(start, end + 1);
  return Buffer.concat([buf.subarray(0, start), ...Array.from({ length: times }, () => line), buf.subarray(start)]);
}

const snapshot = buildSnapshot([{ number: '+12025550100', category: 'listed', reason: 'fuzz' }], {
  version: 1,
  coAssigned: new CoTable([202_555, 312_555], []),
});
const DNO = { snapshot, actions: { listed: 'block', invalid: 'block', unallocated: 'block', unassigned: 'block' } as const, emergency: [] };
const SIP_CTX = policyContext({ continueMode: '302', block: { code: 603, reasonText: 'Call "Rejected"' }, callingFrom: 'pai' }, DNO, 'sip');
const HEP_CTX = policyContext({ continueMode: '302', block: { code: 603, reasonText: 'Call Rejected' }, callingFrom: 'pai' }, DNO, 'hep');
const SRC: InviteSource = { address: '127.0.0.1', port: 5099, at: 1_767_225_600_000 };

/** Every lazy helper a call source may touch: they run outside the parser's catch-all. */
function touch(msg: SipMessage): void {
  msg.via();
  msg.from();
  msg.to();
  msg.pai();
  msg.callId();
  msg.cseq();
  msg.contentLength();
  msg.requestUri();
  void msg.body.length;
  identityOf(msg.identity(), { calling: '+13125550117', called: '+12025550143', at: SRC.at });
}

/** How the inputs fared: a fuzz run that only ever hits one outcome is not testing much. */
export interface Outcomes {
  answered: number;
  silent: number;
  hepDecoded: number;
  hepRefused: number;
}

/** The policy server's whole pure path for one datagram or TCP message. Returns a failure text or null. */
export function exerciseSip(buf: Buffer, transport: 'udp' | 'tcp', seen?: Outcomes): string | null {
  const answer = answerSip(buf, SRC, transport, SIP_CTX);
  if (seen) answer.response ? seen.answered++ : seen.silent++;
  if (answer.parseError?.reason === 'Parser fault') return 'parseSip swallowed an exception (Parser fault)';
  const msg = answer.message ?? answer.parseError?.partial;
  if (msg) touch(msg);
  if (answer.response && answer.response.subarray(0, 8).toString('latin1') !== 'SIP/2.0 ') {
    return `answered with something that is not a SIP response: ${JSON.stringify(answer.response.subarray(0, 40).toString('latin1'))}`;
  }
  return null;
}

/** The HEP collector's pure path: decode, then learn an INVITE from the payload; and the TCP framer. */
export function exerciseHep(packet: Buffer, cuts: readonly number[], seen?: Outcomes): string | null {
  const decoded = decodeHep(packet);
  if (seen) decoded instanceof HepError ? seen.hepRefused++ : seen.hepDecoded++;
  if (!(decoded instanceof HepError)) {
    const { payload } = decoded;
    if (payload.buffer !== packet.buffer || payload.byteOffset < packet.byteOffset || payload.byteOffset + payload.length > packet.byteOffset + packet.length) {
      return 'payload is not a view inside the packet';
    }
    const parsed = parseSip(payload, { transport: 'udp' });
    if (parsed.ok) {
      touch(parsed.msg);
      if (parsed.msg.method === 'INVITE') recordInvite(parsed.msg, SRC, HEP_CTX);
    } else if (parsed.error.reason === 'Parser fault') return 'parseSip swallowed an exception (Parser fault)';
  }
  const framer = new HepFramer();
  let from = 0;
  for (const cut of [...cuts, packet.length]) {
    const out = framer.push(packet.subarray(from, Math.max(from, Math.min(cut, packet.length))));
    if (out instanceof HepError) break;
    from = Math.max(from, Math.min(cut, packet.length));
  }
  return null;
}

/** A HEP packet carrying `payload`, with its header fields and chunk lengths sometimes mutated too. */
export function hepAround(payload: Buffer, r: Rand): Buffer {
  const u16 = (n: number) => Buffer.from([(n >> 8) & 255, n & 255]);
  const chunks = [
    chunk(1, Buffer.from([2])),
    chunk(2, Buffer.from([17])),
    chunk(3, Buffer.from([127, 0, 0, 1])),
    chunk(4, Buffer.from([127, 0, 0, 1])),
    chunk(7, u16(5099)),
    chunk(8, u16(5060)),
    chunk(9, Buffer.from([0x69, 0x55, 0, 0])),
    chunk(11, Buffer.from([1])),
    chunk(15, payload.subarray(0, 65_000)),
  ];
  const packet = hepPacket(chunks);
  if (r() < 0.5) return packet;
  // Hit the header and the chunk lengths, where the decoder's bounds checks live.
  const hit = Buffer.from(packet);
  for (let i = 0, n = 1 + upTo(r, 3); i < n; i++) hit[upTo(r, Math.min(hit.length - 1, 80))] = upTo(r, 255);
  return r() < 0.3 ? hit.subarray(0, upTo(r, hit.length)) : hit;
}

export interface FuzzReport {
  iterations: number;
  failures: { iteration: number; what: string; input: string }[];
  slowest: { ms: number; iteration: number; bytes: number };
  outcomes: Outcomes;
  cpuMs: number;
}

/**
 * `iterations` mutated inputs, each through the SIP path (UDP and TCP framing) and, wrapped, the HEP path.
 * Stops collecting after 20 failures. `slowMs` is per input: generous, so a loaded machine does not fail it.
 */
export function fuzz(corpus: readonly Buffer[], iterations: number, seed: number, slowMs = 1_000): FuzzReport {
  const r = prng(seed);
  const failures: FuzzReport['failures'] = [];
  const slowest = { ms: 0, iteration: -1, bytes: 0 };
  const outcomes: Outcomes = { answered: 0, silent: 0, hepDecoded: 0, hepRefused: 0 };
  const cpu = process.cpuUsage();
  for (let i = 0; i < iterations && failures.length < 20; i++) {
    const input = mutate(pick(r, corpus), pick(r, corpus), r);
    const hep = hepAround(input, r);
    const cuts = Array.from({ length: upTo(r, 4) }, () => upTo(r, hep.length)).sort((a, b) => a - b);
    const started = performance.now();
    let what: string | null;
    try {
      what = exerciseSip(input, 'udp', outcomes) ?? exerciseSip(input, 'tcp', outcomes) ?? exerciseHep(hep, cuts, outcomes);
    } catch (err) {
      what = `threw ${(err as Error).stack ?? String(err)}`;
    }
    let ms = performance.now() - started;
    // A slow input is timed again: a GC pause or a busy machine is slow once, a quadratic path every time.
    for (let again = 0; again < 3 && ms > slowMs && what === null; again++) {
      const t = performance.now();
      exerciseSip(input, 'udp');
      exerciseSip(input, 'tcp');
      exerciseHep(hep, cuts);
      ms = Math.min(ms, performance.now() - t);
    }
    if (ms > slowest.ms) Object.assign(slowest, { ms, iteration: i, bytes: input.length });
    if (what === null && ms > slowMs) what = `took ${ms.toFixed(0)} ms for ${input.length} bytes`;
    if (what !== null) failures.push({ iteration: i, what, input: input.subarray(0, 300).toString('latin1') });
  }
  const used = process.cpuUsage(cpu);
  return { iterations, failures, slowest, outcomes, cpuMs: (used.user + used.system) / 1000 };
}

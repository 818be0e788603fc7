/**
 * Offline check of an evidence bundle (hub/evidence.ts): no hub, no clock, no store — only the keys in the
 * bundle (and, better, the hub's and the providers' keys pinned by the checker). Every failure is named
 * exactly: which signature, which hop, which link of the chain. Pure.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { decode, EnvelopeError, verifyOffline, type Verified } from '../proto/envelope.js';
import { publicKeyFromRaw } from '../proto/keys.js';
import { HopAnswer, MessageError, parse, ProviderKey } from '../proto/messages.js';
import { canonicalJson } from './canonical-json.js';
import { namedUpstream } from './engine.js';
import type { ProviderKeys } from './evidence-keys.js';
import { EVIDENCE_FORMAT, EVIDENCE_TYPE, type EvidenceSeal, evidenceDigest } from './evidence.js';
import { validAt } from './key-rotation.js';

export interface EvidenceReport {
  ok: boolean;
  /** What failed, one line each, e.g. `hop 2 (carrier-b): answer signature invalid`. */
  failures: string[];
  /** What was checked and held. */
  passed: string[];
}

export interface CheckOptions {
  /** The hub's public key as the checker knows it (base64url raw): the bundle's own copy proves nothing alone. */
  hubKey?: string;
  /**
   * Provider id → public keys as the checker obtained them from the providers (evidence-keys.ts): each
   * provider-signed answer must verify with these, and the keys the bundle records must be among them.
   */
  providerKeys?: ProviderKeys;
}

const SignedPart = {
  answer: z.unknown().optional(),
  answerJws: z.string().optional(),
  answerKeys: z.array(ProviderKey).optional(),
};
const BundleShape = z.object({
  format: z.literal(EVIDENCE_FORMAT),
  hub: z.object({ id: z.string().min(1), kid: z.string().min(1), publicKey: z.string() }),
  case: z.object({
    id: z.string().min(1),
    status: z.string(),
    originator: z.string().optional(),
    pointOfEntry: z.string().optional(),
    hops: z.array(
      z.object({
        provider: z.string(),
        askedBy: z.string().nullable(),
        mode: z.enum(['agent', 'manual']),
        state: z.string(),
        attempts: z.array(z.object({ queryId: z.string() })),
        answeredBy: z.object({ name: z.string() }).optional(),
        ...SignedPart,
      }),
    ),
    shaken: z.object({ provider: z.string(), query: z.object({ queryId: z.string() }).optional(), ...SignedPart }).optional(),
  }),
  signature: z.string(),
});
type Shape = z.infer<typeof BundleShape>;
type Signed = { provider: string; answer?: unknown; answerJws?: string | undefined; answerKeys?: ProviderKey[] | undefined };

export function checkEvidence(raw: unknown, opts: CheckOptions = {}): EvidenceReport {
  const failures: string[] = [];
  const passed: string[] = [];
  let b: Shape;
  try {
    b = parse(BundleShape, raw);
  } catch (err) {
    if (!(err instanceof MessageError)) throw err;
    return { ok: false, failures: [`not an evidence bundle: ${err.message}`], passed };
  }
  checkSeal(raw as object, b, opts, failures, passed);

  const c = b.case;
  // Manual answers are the hub's signature (its key is pinned by hubKey); the others must be a known provider key.
  const pinnedFor = (signer: string) => (opts.providerKeys === undefined || signer === b.hub.id ? undefined : (opts.providerKeys[signer] ?? []));
  const answers = c.hops.map((hop, i) => {
    const label = `hop ${i + 1} (${hop.provider})`;
    if (i === 0 && hop.askedBy !== null) failures.push(`hop 1: asked by ${hop.askedBy}, but the first hop is asked by no one`);
    const prev = c.hops[i - 1];
    if (prev && hop.askedBy !== prev.provider) failures.push(`hop ${i + 1}: asked by ${hop.askedBy ?? 'no one'} but hop ${i} is ${prev.provider}`);
    if (hop.state !== 'answered') return undefined;
    // A person's answer is signed by the hub on their behalf, and says who they were.
    const signer = hop.mode === 'manual' && hop.answeredBy ? b.hub.id : hop.provider;
    return checkAnswer(label, hop, signer, c.id, hop.attempts.map((a) => a.queryId), pinnedFor(signer), failures, passed);
  });

  // Each hop must be the upstream its downstream's signed answer named.
  c.hops.forEach((hop, i) => {
    const named = i > 0 ? answers[i - 1] && namedUpstream(answers[i - 1]!)?.providerId : undefined;
    if (i > 0 && answers[i - 1] && named !== hop.provider) failures.push(`hop ${i + 1}: asked ${hop.provider} but hop ${i} named ${named ?? 'no registered provider'}`);
  });
  checkOutcome(b, answers, failures);

  const side = c.shaken;
  if (side?.answerJws) checkAnswer(`SHAKEN side query (${side.provider})`, side, side.provider, c.id, side.query ? [side.query.queryId] : [], pinnedFor(side.provider), failures, passed);
  if (failures.length === 0) passed.push(`chain of ${c.hops.length} hop(s) consistent with outcome ${c.status}`);
  return { ok: failures.length === 0, failures, passed };
}

function checkSeal(raw: object, b: Shape, opts: CheckOptions, failures: string[], passed: string[]): void {
  const what = `hub signature (${b.hub.id}, kid ${b.hub.kid})`;
  if (opts.hubKey !== undefined && opts.hubKey !== b.hub.publicKey) failures.push(`${what}: the bundle's hub key is not the pinned key`);
  let seal: Verified<EvidenceSeal>;
  try {
    seal = verifyOffline<EvidenceSeal>(b.signature, [publicKeyFromRaw(opts.hubKey ?? b.hub.publicKey)]);
  } catch (err) {
    failures.push(`${what}: ${describe(err)}`);
    return;
  }
  if (seal.claims.iss !== b.hub.id || seal.claims.typ !== EVIDENCE_TYPE) failures.push(`${what}: not an evidence signature of ${b.hub.id}`);
  else if (seal.body.tracebackId !== b.case.id) failures.push(`${what}: signs traceback ${String(seal.body.tracebackId)}, not ${b.case.id}`);
  else if (seal.body.sha256 !== evidenceDigest(raw)) failures.push(`${what}: the bundle was changed after the hub signed it (digest mismatch)`);
  else passed.push(`${what}: valid over the whole bundle`);
}

/** One signed answer: signature by a key registered at signing time, signer, addressee, and the recorded copy. */
function checkAnswer(
  label: string,
  s: Signed,
  signer: string,
  caseId: string,
  queryIds: string[],
  pinned: readonly string[] | undefined,
  failures: string[],
  passed: string[],
): HopAnswer | undefined {
  if (!s.answerJws) {
    failures.push(`${label}: no signed answer recorded`);
    return undefined;
  }
  let body: HopAnswer;
  let v: Verified;
  try {
    v = decode(s.answerJws);
    body = parse(HopAnswer, v.body);
  } catch (err) {
    failures.push(`${label}: answer malformed (${describe(err)})`);
    return undefined;
  }
  const before = failures.length;
  const keys = (s.answerKeys ?? []).filter((k) => k.kid === v.header.kid);
  const usable = keys.flatMap((k): KeyObject[] => {
    try {
      return [publicKeyFromRaw(k.publicKey)];
    } catch {
      return [];
    }
  });
  try {
    verifyOffline(s.answerJws, usable);
  } catch (err) {
    failures.push(`${label}: answer signature invalid${usable.length ? '' : ` (no registered key with kid ${v.header.kid})`}`);
  }
  if (pinned) checkPinned(label, s.answerJws, v.header.kid, signer, keys, pinned, failures);
  if (keys.length && !keys.some((k) => validAt(k, v.claims.iat * 1000))) failures.push(`${label}: signed with key ${v.header.kid} outside its registered validity`);
  if (v.claims.iss !== signer) failures.push(`${label}: answer signed by ${v.claims.iss}, not ${signer}`);
  if (body.provider !== s.provider) failures.push(`${label}: answer speaks for ${body.provider}`);
  if (body.tracebackId !== caseId || !queryIds.includes(body.queryId)) failures.push(`${label}: answer is for another query (${body.tracebackId} / ${body.queryId})`);
  if (canonicalJson(s.answer) !== canonicalJson(body)) failures.push(`${label}: recorded answer differs from the signed answer`);
  if (failures.length === before) passed.push(`${label}: ${body.result} answer signed by ${v.claims.iss} (kid ${v.header.kid})${pinned ? ', a provider key' : ''}`);
  return body;
}

/** The bundle's keys for this answer, and its signature, against the keys the checker holds for the signer. */
function checkPinned(label: string, jws: string, kid: string, signer: string, recorded: ProviderKey[], pinned: readonly string[], failures: string[]): void {
  if (pinned.length === 0) {
    failures.push(`${label}: no provider key for ${signer}`);
    return;
  }
  for (const k of recorded) if (!pinned.includes(k.publicKey)) failures.push(`${label}: key ${k.kid} the bundle records for ${signer} is not one of its provider keys`);
  try {
    verifyOffline(jws, pinned.map((k) => publicKeyFromRaw(k)));
  } catch {
    failures.push(`${label}: answer (kid ${kid}) is not signed by any provider key of ${signer}`);
  }
}

function checkOutcome(b: Shape, answers: (HopAnswer | undefined)[], failures: string[]): void {
  const c = b.case;
  const i = c.hops.length - 1;
  const last = answers[i];
  const at = `outcome ${c.status}`;
  switch (c.status) {
    case 'originated':
      if (last?.result !== 'originated') failures.push(`${at}: hop ${i + 1}'s signed answer says ${last?.result ?? 'nothing'}`);
      else if (c.originator !== c.hops[i]?.provider) failures.push(`${at}: originator ${c.originator ?? '(none)'} is not hop ${i + 1} (${c.hops[i]?.provider})`);
      break;
    case 'not_found':
      if (last?.result !== 'not_found') failures.push(`${at}: hop ${i + 1}'s signed answer says ${last?.result ?? 'nothing'}`);
      break;
    case 'foreign':
      if (last?.result !== 'foreign' && last?.result !== 'upstream') failures.push(`${at}: hop ${i + 1}'s signed answer says ${last?.result ?? 'nothing'}`);
      else if (c.pointOfEntry !== c.hops[i]?.provider) failures.push(`${at}: point of entry ${c.pointOfEntry ?? '(none)'} is not hop ${i + 1} (${c.hops[i]?.provider})`);
      break;
  }
}

function describe(err: unknown): string {
  if (err instanceof EnvelopeError) return err.code === 'bad-signature' ? 'signature invalid' : err.reason;
  return err instanceof Error ? err.message : String(err);
}

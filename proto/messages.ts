/**
 * Protocol v1 message schemas (DESIGN §5). Types are derived from the schemas, so the runtime check and the
 * compile-time type cannot drift. Unknown fields are stripped (ignored), never an error; a missing or malformed
 * field is a `MessageError` naming the field's path.
 */
import { z } from 'zod';

export const E164 = z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'must be E.164, e.g. +12025550143');
/** A calling number as the requester saw it: usually E.164, but spoofed and anonymous values are evidence too. */
export const CallingNumber = z.string().min(1).max(64);
export const Instant = z.iso.datetime({ offset: true });
export const ProviderId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, . _ - (max 64)');
export const Id = z.string().min(1).max(128);

export const CallRef = z.object({
  calling: CallingNumber,
  called: E164,
  at: Instant,
  windowSec: z.number().int().min(1).max(86_400).default(120),
});
export type CallRef = z.infer<typeof CallRef>;

export const HopQuery = z.object({
  queryId: Id,
  tracebackId: Id,
  call: CallRef,
  /** The downstream provider that named this one (null for the first hop). */
  askedBy: ProviderId.nullable(),
  deadline: Instant,
});
export type HopQuery = z.infer<typeof HopQuery>;

export const CallSource = z.string().regex(/^(sip|hep|drachtio|cdr:[a-z0-9_-]{1,32})$/, 'sip | hep | drachtio | cdr:<format>');
export type CallSource = 'sip' | 'hep' | 'drachtio' | `cdr:${string}`;

export const Ingress = z.object({
  ip: z.string().max(64).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  trunkGroup: z.string().max(128).optional(),
  realm: z.string().max(128).optional(),
});
export type Ingress = z.infer<typeof Ingress>;

export const Attestation = z.enum(['A', 'B', 'C']);
export const IdentityInfo = z.object({
  attest: Attestation,
  origid: z.string().max(128).optional(),
  /** The signer: SPC/OCN from TNAuthList, else the certificate subject or x5u host. */
  signer: z.string().max(256).optional(),
  verified: z.boolean(),
  reason: z.string().max(256).optional(),
});
export type IdentityInfo = z.infer<typeof IdentityInfo>;

export const Upstream = z.object({ providerId: ProviderId.optional(), name: z.string().min(1).max(256) });
export const Customer = z.object({ account: z.string().max(128).optional(), name: z.string().max(256).optional() });

/**
 * The CDR behind a match (agent/answer.ts): its file name and byte offset, the sha256 of its raw line and whether
 * the line still parses to this call; the line itself only when the carrier discloses it (it is CPNI of this one
 * call); `missing` says why the line could not be read back. SIP matches have none.
 */
export const MatchEvidence = z.object({
  /** Where the line is now: a rotated file's new name. */
  file: z.string().min(1).max(1024),
  /** The name it was indexed under, when rotation renamed the file since (added later: optional). */
  indexedAs: z.string().min(1).max(1024).optional(),
  offset: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in lower-case hex').optional(),
  verified: z.boolean().optional(),
  /** As large as the agent reads a unit (agent/cdr/evidence.ts: 256 KiB). */
  line: z.string().max(256 * 1024).optional(),
  missing: z.string().max(512).optional(),
});
export type MatchEvidence = z.infer<typeof MatchEvidence>;

export const Match = z.object({
  at: Instant,
  calling: z.string().max(64),
  called: z.string().max(64),
  source: CallSource,
  ingress: Ingress,
  upstream: Upstream.optional(),
  customer: Customer.optional(),
  identity: IdentityInfo.optional(),
  evidence: MatchEvidence.optional(),
});
export type Match = z.infer<typeof Match>;

export const HopResult = z.enum(['upstream', 'originated', 'foreign', 'not_found', 'unavailable', 'declined']);
export type HopResult = z.infer<typeof HopResult>;

export const HopAnswer = z.object({
  queryId: Id,
  tracebackId: Id,
  provider: ProviderId,
  result: HopResult,
  /** Bounded: an agent never answers in bulk (DESIGN §1 Privacy). */
  matches: z.array(Match).max(20).default([]),
  /** The window actually examined, so a not_found says where it looked. */
  window: z.object({ from: Instant, to: Instant }).optional(),
  reason: z.string().max(512).optional(),
  answeredAt: Instant,
  agentVersion: z.string().max(32),
});
export type HopAnswer = z.infer<typeof HopAnswer>;

export const DnoCategory = z.enum(['listed', 'invalid', 'unallocated', 'unassigned']);
export type DnoCategory = z.infer<typeof DnoCategory>;

/** A DNO entry is exactly one of: a number, a prefix (all numbers starting with it), or an inclusive range. */
export const DnoEntry = z
  .object({
    number: E164.optional(),
    prefix: z.string().regex(/^\+[1-9][0-9]{0,14}$/, 'must be + and 1–15 digits').optional(),
    range: z
      .object({ from: E164, to: E164 })
      .refine((r) => r.from.length === r.to.length && r.from <= r.to, 'from and to must have equal length and from <= to')
      .optional(),
    category: DnoCategory,
    reason: z.string().max(256).optional(),
    source: z.string().max(128).optional(),
  })
  .refine((e) => [e.number, e.prefix, e.range].filter((x) => x !== undefined).length === 1, {
    message: 'exactly one of number, prefix, range',
  });
export type DnoEntry = z.infer<typeof DnoEntry>;

export const DnoDelta = z.object({
  version: z.number().int().min(0),
  full: z.boolean(),
  since: z.number().int().min(0).optional(),
  add: z.array(DnoEntry),
  remove: z.array(DnoEntry),
});
export type DnoDelta = z.infer<typeof DnoDelta>;

// ---- Hub API bodies (people and scripts, bearer tokens) ----

export const ProviderKey = z.object({
  kid: z.string().min(1).max(64),
  /** Ed25519 public key: base64url of the raw 32 bytes (what `hoptrace-agent keygen` prints). */
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'base64url of a raw 32-byte Ed25519 key'),
  notBefore: Instant.optional(),
  notAfter: Instant.optional(),
});
export type ProviderKey = z.infer<typeof ProviderKey>;

export const ProviderInput = z.object({
  id: ProviderId,
  name: z.string().min(1).max(256),
  country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2').default('US'),
  foreign: z.boolean().default(false),
  gateway: z.boolean().default(false),
  contact: z.object({ email: z.string().email().optional(), phone: z.string().max(32).optional() }).optional(),
  reach: z.enum(['agent-pull', 'agent-push', 'manual']).default('agent-pull'),
  pushUrl: z.url().optional(),
  keys: z.array(ProviderKey).max(8).default([]),
  /** STIR/SHAKEN identity (SPC or OCN from the certificate's TNAuthList): maps an attestation's signer to this provider. */
  spc: z.string().min(1).max(16).optional(),
  ocn: z.string().regex(/^[0-9A-Z]{4}$/, 'a 4-character OCN').optional(),
});
export type ProviderInput = z.infer<typeof ProviderInput>;

export const TracebackInput = z.object({
  call: z.object({ calling: CallingNumber, called: E164, at: Instant }),
  /** The terminating provider: the first to be asked. */
  firstProvider: ProviderId,
  campaign: z.string().max(128).optional(),
  windowSec: z.number().int().min(1).max(86_400).optional(),
});
export type TracebackInput = z.infer<typeof TracebackInput>;

// ---- validation ----

/** A message failed its schema: `path` is the dotted path of the first bad field. */
export class MessageError extends Error {
  override readonly name = 'MessageError';
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly issues: readonly { path: string; reason: string }[],
  ) {
    super(`${path || '(body)'}: ${reason}`);
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

/** Parse `input` against `schema`: the typed value, or a `MessageError` naming the bad field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: formatPath(i.path), reason: i.message }));
  const first = issues[0] ?? { path: '', reason: 'invalid' };
  throw new MessageError(first.path, first.reason, issues);
}

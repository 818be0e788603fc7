/**
 * Manual hops: a provider without an agent (or whose agent is silent) is asked through a link that a person
 * opens. The link is an envelope the hub signs (typ `manual-link`), naming the case, the attempt and the
 * provider, and expiring at the hop's deadline: no account is needed, and a link answers one question only.
 * The person's answer becomes a HopAnswer that the hub signs on their behalf (hub/hub.ts). Pure.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { EnvelopeError, sign, verifyOffline } from '../proto/envelope.js';
import type { KeyPair } from '../proto/keys.js';
import { Customer, type HopAnswer, Id, ProviderId } from '../proto/messages.js';
import type { Case } from './case.js';

export const MANUAL_LINK_TYPE = 'manual-link';
/** A person's answer travels as `cdr:manual`: they looked the call up in their own records. */
export const MANUAL_SOURCE = 'cdr:manual';

export interface ManualLink {
  caseId: string;
  queryId: string;
  provider: string;
  /** ms since the epoch */
  expires: number;
}

export class ManualLinkError extends Error {
  override readonly name = 'ManualLinkError';
  constructor(
    readonly status: 401 | 410,
    reason: string,
  ) {
    super(reason);
  }
}

export function signManualLink(link: ManualLink, hubId: string, key: KeyPair, now: number): string {
  return sign(link, { iss: hubId, aud: hubId, typ: MANUAL_LINK_TYPE, key, now });
}

/**
 * The link a person is sent: the answer page, the token in the URL fragment, which a browser never sends to a
 * server nor puts in a Referer, so no access log or proxy sees it. The page sends it in a header (MANUAL_SCHEME).
 */
export function manualLinkUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/ui/manual.html#${token}`;
}

/** The answer page sends its link as `Authorization: Manual <token>`, never in a request path. */
export const MANUAL_SCHEME = 'Manual';

/** The link token of an `Authorization: Manual <token>` header; a ManualLinkError (401) when there is none. */
export function manualTokenOf(header: string | undefined): string {
  const token = header?.match(/^Manual\s+(\S+)$/)?.[1];
  if (!token) throw new ManualLinkError(401, `send the link as "Authorization: ${MANUAL_SCHEME} <token>"`);
  return token;
}

/** The link's question, if the hub signed it and it has not expired; says why otherwise, and nothing more. */
export function openManualLink(token: string, hubId: string, hubKeys: readonly KeyObject[], now: number): ManualLink {
  let body: unknown;
  try {
    const v = verifyOffline(token, hubKeys);
    if (v.claims.iss !== hubId || v.claims.aud !== hubId || v.claims.typ !== MANUAL_LINK_TYPE) throw new EnvelopeError('wrong-type', 'not a manual-hop link');
    body = v.body;
  } catch (err) {
    if (err instanceof EnvelopeError) throw new ManualLinkError(401, 'this link is not valid');
    throw err;
  }
  const link = ManualLinkBody.safeParse(body);
  if (!link.success) throw new ManualLinkError(401, 'this link is not valid');
  if (link.data.expires <= now) throw new ManualLinkError(410, 'this link has expired');
  return link.data;
}

const ManualLinkBody = z.object({ caseId: Id, queryId: Id, provider: ProviderId, expires: z.number() });

export const ManualAnswerInput = z
  .object({
    result: z.enum(['upstream', 'originated', 'not_found']),
    /** The provider that handed over the call: a registered id, or the name of one not registered yet. */
    upstream: z
      .object({ providerId: ProviderId.optional(), name: z.string().trim().min(1).max(256).optional() })
      .refine((u) => u.providerId !== undefined || u.name !== undefined, 'give providerId or name')
      .optional(),
    customer: Customer.optional(),
    answeredBy: z.object({ name: z.string().trim().min(1).max(128), email: z.email().optional() }),
    note: z.string().max(512).optional(),
  })
  .refine((a) => a.result !== 'upstream' || a.upstream !== undefined, { message: 'required when result is upstream', path: ['upstream'] });
export type ManualAnswerInput = z.infer<typeof ManualAnswerInput>;

/** The open attempt the link asks about, or why the link no longer asks anything. */
export function requireOpenQuestion(c: Case | undefined, link: ManualLink): void {
  const hop = c?.hops.at(-1);
  if (!c || c.status !== 'open' || hop?.provider !== link.provider || hop.state !== 'pending' || hop.attempts.at(-1)?.queryId !== link.queryId) {
    throw new ManualLinkError(410, 'this question was already answered or is no longer open');
  }
}

/** The person's answer as the HopAnswer an agent would have sent; `upstream` is resolved to a registered provider. */
export function manualAnswer(c: Case, link: ManualLink, input: ManualAnswerInput, upstream: { id: string; name: string } | undefined, now: number): HopAnswer {
  const call = { at: c.call.at, calling: c.call.calling, called: c.call.called, source: MANUAL_SOURCE, ingress: {} };
  const matches =
    input.result === 'upstream' && upstream
      ? [{ ...call, upstream: { providerId: upstream.id, name: upstream.name } }]
      : input.result === 'originated'
        ? [{ ...call, ...(input.customer && { customer: input.customer }) }]
        : [];
  return {
    queryId: link.queryId,
    tracebackId: c.id,
    provider: link.provider,
    result: input.result,
    matches,
    ...(input.note !== undefined && { reason: input.note }),
    answeredAt: new Date(now).toISOString(),
    agentVersion: 'manual',
  };
}

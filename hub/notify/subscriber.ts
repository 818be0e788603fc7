/**
 * Subscribers: the enforcement agencies and providers that receive what the hub learns. Each says what it
 * receives — referrals of ended cases narrowed by campaign, outcome and named provider, and (a provider) the
 * notices addressed to it — and where: a webhook. Matching is pure and is the only gate between a case and a
 * receiver: nothing reaches a subscriber that its subscription does not cover.
 */
import { z } from 'zod';
import { ProviderId } from '../../proto/messages.js';
import { type Case, OUTCOMES } from '../case.js';

/** Loopback hosts may be reached over plain HTTP (a receiver beside the hub, tests); anything else needs TLS. */
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost)$/;

export const WebhookUrl = z.url().refine(
  (u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname));
  },
  'must be https:// (plain http:// only to a loopback address)',
);

export const SubscriberInput = z
  .object({
    id: ProviderId,
    name: z.string().trim().min(1).max(256),
    kind: z.enum(['agency', 'provider']),
    /** The registered provider this subscriber speaks for (kind provider): its notices come here. */
    provider: ProviderId.optional(),
    url: WebhookUrl,
    receives: z
      .object({
        /** Absent: no referrals. Every filter given must hold; an empty object covers every ended case but cancelled ones. */
        referrals: z
          .object({
            campaigns: z.array(z.string().min(1).max(128)).min(1).max(100).optional(),
            outcomes: z.array(z.enum(OUTCOMES)).min(1).optional(),
            /** Only cases whose chain, originator or point of entry is this provider. */
            naming: ProviderId.optional(),
          })
          .strict()
          .optional(),
        /** Provider notices (originator, point of entry, non-responsive, manual hops) addressed to `provider`. */
        notices: z.boolean().default(false),
      })
      .strict(),
  })
  .strict()
  .refine((s) => s.kind !== 'provider' || s.provider !== undefined, { message: 'required when kind is provider', path: ['provider'] })
  .refine((s) => !s.receives.notices || s.provider !== undefined, { message: 'notices need the provider they are addressed to', path: ['receives', 'notices'] });
export type SubscriberInput = z.infer<typeof SubscriberInput>;

/** As stored: the input, when it was registered, and the hub key it was told to verify with. */
export type Subscriber = SubscriberInput & {
  createdAt: number;
  /** The hub's signing key when the subscriber registered: what its receiver pins (hub/notify/verify.ts). */
  verifyWith: { hubId: string; kid: string; publicKey: string };
};

/** Does this subscriber's referral subscription cover the ended case? */
export function coversReferral(s: Subscriber, c: Case): boolean {
  const r = s.receives.referrals;
  if (!r || c.status === 'open') return false;
  if (r.outcomes ? !r.outcomes.includes(c.status) : c.status === 'cancelled') return false;
  if (r.campaigns && (c.campaign === undefined || !r.campaigns.includes(c.campaign))) return false;
  return r.naming === undefined || namesProvider(c, r.naming);
}

/** The subscribers that take the notices addressed to `provider`. */
export function noticeReceivers(subs: readonly Subscriber[], provider: string): Subscriber[] {
  return subs.filter((s) => s.receives.notices && s.provider === provider);
}

function namesProvider(c: Case, provider: string): boolean {
  return c.originator === provider || c.pointOfEntry === provider || c.hops.some((h) => h.provider === provider);
}

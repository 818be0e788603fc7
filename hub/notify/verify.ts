/**
 * What a receiver runs on a notification, offline: the hub's seal verifies with the hub key it pinned (the
 * subscriber's `verifyWith`), the seal is for this receiver and this kind, and nothing changed since the hub
 * sealed it; a referral's evidence bundle is then checked hop by hop (hub/evidence-check.ts). Each failure is
 * named. Pure; `hoptrace-hub verify` runs it on a saved notification.
 */
import { z } from 'zod';
import { EnvelopeError, verifyOffline, type Verified } from '../../proto/envelope.js';
import { publicKeyFromRaw } from '../../proto/keys.js';
import { MessageError, parse } from '../../proto/messages.js';
import { checkEvidence, type EvidenceReport } from '../evidence-check.js';
import { KINDS, NOTIFICATION_FORMAT, type NotificationSeal, notificationDigest } from './document.js';

export interface VerifyNotificationOptions {
  /** The hub key the receiver pinned (base64url raw); without it, the document's own copy (proves less). */
  hubKey?: string;
  /** The receiver's subscriber id: a notification sealed for another subscriber is refused. */
  subscriber?: string;
}

const Shape = z.object({
  format: z.literal(NOTIFICATION_FORMAT),
  kind: z.enum(KINDS),
  idempotencyKey: z.string().min(1),
  caseId: z.string().min(1),
  hub: z.object({ id: z.string().min(1), kid: z.string().min(1), publicKey: z.string() }),
  to: z.object({ subscriber: z.string().min(1), name: z.string() }),
  body: z.unknown(),
  signature: z.string(),
});

export function isNotification(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format === NOTIFICATION_FORMAT;
}

export function checkNotification(raw: unknown, opts: VerifyNotificationOptions = {}): EvidenceReport {
  const failures: string[] = [];
  const passed: string[] = [];
  let n: z.infer<typeof Shape>;
  try {
    n = parse(Shape, raw);
  } catch (err) {
    if (!(err instanceof MessageError)) throw err;
    return { ok: false, failures: [`not a hoptrace notification: ${err.message}`], passed };
  }
  const what = `hub seal (${n.hub.id}, kid ${n.hub.kid})`;
  if (opts.hubKey !== undefined && opts.hubKey !== n.hub.publicKey) failures.push(`${what}: the notification's hub key is not the pinned key`);
  let seal: Verified<NotificationSeal> | undefined;
  try {
    seal = verifyOffline<NotificationSeal>(n.signature, [publicKeyFromRaw(opts.hubKey ?? n.hub.publicKey)]);
  } catch (err) {
    failures.push(`${what}: ${err instanceof EnvelopeError && err.code === 'bad-signature' ? 'signature invalid' : (err as Error).message}`);
  }
  if (seal) {
    const c = seal.claims;
    if (c.iss !== n.hub.id || c.typ !== n.kind) failures.push(`${what}: not a ${n.kind} seal of ${n.hub.id}`);
    else if (c.aud !== n.to.subscriber) failures.push(`${what}: sealed for ${c.aud}, not ${n.to.subscriber}`);
    else if (opts.subscriber !== undefined && c.aud !== opts.subscriber) failures.push(`${what}: sealed for ${c.aud}, not for this receiver (${opts.subscriber})`);
    else if (seal.body.idempotencyKey !== n.idempotencyKey) failures.push(`${what}: seals idempotency key ${String(seal.body.idempotencyKey)}, not ${n.idempotencyKey}`);
    else if (seal.body.sha256 !== notificationDigest(raw as object)) failures.push(`${what}: the notification was changed after the hub sealed it (digest mismatch)`);
    else passed.push(`${what}: valid over the whole ${n.kind} for ${n.to.subscriber}`);
  }
  if (n.kind === 'referral') {
    const evidence = (n.body as { evidence?: { case?: { id?: unknown } } } | null)?.evidence;
    if (evidence?.case?.id !== n.caseId) failures.push(`evidence: the referral carries no evidence bundle of case ${n.caseId}`);
    else {
      const r = checkEvidence(evidence, opts.hubKey !== undefined ? { hubKey: opts.hubKey } : {});
      failures.push(...r.failures.map((f) => `evidence: ${f}`));
      passed.push(...r.passed.map((p) => `evidence: ${p}`));
    }
  }
  return { ok: failures.length === 0, failures, passed };
}

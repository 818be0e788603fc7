/**
 * A notification as it travels to a subscriber: a referral package, a provider notice or a manual-hop request,
 * sealed by the hub. The seal is an envelope of the hub (proto/envelope.ts, typ = the kind, aud = the
 * subscriber) over the SHA-256 of the canonical JSON of the whole document, so the receiver verifies offline,
 * with the hub key it pinned, that the document came from the hub unchanged and was meant for it
 * (hub/notify/verify.ts). Built once and stored: every retry sends the same bytes. Pure.
 */
import { createHash } from 'node:crypto';
import { sign } from '../../proto/envelope.js';
import { type KeyPair, publicKeyToRaw } from '../../proto/keys.js';
import { canonicalJson, sha256Hex } from '../canonical-json.js';

export const NOTIFICATION_FORMAT = 'hoptrace-notification/1';
export const KINDS = ['referral', 'provider-notice', 'manual-hop'] as const;
export type NotificationKind = (typeof KINDS)[number];

export interface NotificationHub {
  id: string;
  kid: string;
  /** base64url of the raw Ed25519 public key */
  publicKey: string;
}

export interface Notification<B = unknown> {
  format: typeof NOTIFICATION_FORMAT;
  kind: NotificationKind;
  /** Stable for this notification to this subscriber: across retries, redeliveries and hub instances. */
  idempotencyKey: string;
  caseId: string;
  issuedAt: string;
  hub: NotificationHub;
  to: { subscriber: string; name: string };
  body: B;
  /** The hub's envelope (typ = kind, aud = to.subscriber) over NotificationSeal. */
  signature: string;
}

export interface NotificationSeal {
  idempotencyKey: string;
  sha256: string;
}

/**
 * The idempotency key of one notification: the same inputs always give the same key, so a hook that runs twice
 * (a retried transition, two hub instances) stores one delivery, and a receiver drops what it already has.
 */
export function idempotencyKey(kind: NotificationKind, caseId: string, subscriber: string, about = ''): string {
  return `ntf_${createHash('sha256').update(`${kind}\n${caseId}\n${subscriber}\n${about}`).digest('base64url').slice(0, 32)}`;
}

export function sealNotification<B>(
  n: { kind: NotificationKind; caseId: string; to: { subscriber: string; name: string }; body: B; about?: string },
  hubId: string,
  key: KeyPair,
  now: number,
): Notification<B> {
  const unsigned = {
    format: NOTIFICATION_FORMAT,
    kind: n.kind,
    idempotencyKey: idempotencyKey(n.kind, n.caseId, n.to.subscriber, n.about),
    caseId: n.caseId,
    issuedAt: new Date(now).toISOString(),
    hub: { id: hubId, kid: key.kid, publicKey: publicKeyToRaw(key.publicKey) },
    to: n.to,
    body: n.body,
  } as const;
  const seal: NotificationSeal = { idempotencyKey: unsigned.idempotencyKey, sha256: notificationDigest(unsigned) };
  return { ...unsigned, signature: sign(seal, { iss: hubId, aud: n.to.subscriber, typ: n.kind, key, now }) };
}

/** What the seal covers: the document without its signature, as canonical JSON. */
export function notificationDigest(doc: object): string {
  const { signature: _signature, ...covered } = doc as { signature?: unknown };
  return sha256Hex(canonicalJson(covered));
}

import { describe, expect, it } from 'vitest';
import { idempotencyKey, sealNotification } from '../../../hub/notify/document.js';
import { providerNotices } from '../../../hub/notify/notices.js';
import { checkNotification } from '../../../hub/notify/verify.js';
import { generateKeyPair, publicKeyToRaw } from '../../../proto/keys.js';
import { tracedCase } from '../traced-case.js';

const hubKey = generateKeyPair('hub-1');
const pinned = publicKeyToRaw(hubKey.publicKey);
const kase = { ...tracedCase({ id: 'case-7', chain: ['term', 'mid', 'orig'], status: 'originated', createdAt: '2026-11-28T10:00:00Z' }), originator: 'orig' };
const notice = providerNotices(kase)[0]!;
const sealed = () => sealNotification({ kind: 'provider-notice', caseId: kase.id, to: { subscriber: 'orig-noc', name: 'Orig NOC' }, body: notice, about: 'originator' }, 'hub', hubKey, Date.parse('2026-11-28T10:05:00Z'));

describe('a notification as its receiver verifies it', () => {
  it('verifies with the pinned hub key, for this receiver', () => {
    const r = checkNotification(sealed(), { hubKey: pinned, subscriber: 'orig-noc' });
    expect(r.failures).toEqual([]);
    expect(r.passed).toEqual(['hub seal (hub, kid hub-1): valid over the whole provider-notice for orig-noc']);
  });

  it('detects any changed byte of the body', () => {
    const doc = sealed();
    (doc.body as { asked: string }).asked = 'Ignore this request.';
    expect(checkNotification(doc, { hubKey: pinned }).failures).toEqual(['hub seal (hub, kid hub-1): the notification was changed after the hub sealed it (digest mismatch)']);
  });

  it('refuses a notification sealed for another subscriber, or readdressed', () => {
    expect(checkNotification(sealed(), { hubKey: pinned, subscriber: 'mid-noc' }).failures).toEqual(['hub seal (hub, kid hub-1): sealed for orig-noc, not for this receiver (mid-noc)']);
    const readdressed = { ...sealed(), to: { subscriber: 'mid-noc', name: 'Mid' } };
    expect(checkNotification(readdressed, { hubKey: pinned }).failures).toEqual(['hub seal (hub, kid hub-1): sealed for orig-noc, not mid-noc']);
  });

  it('refuses a document signed by another key than the pinned one, and a seal moved to another document', () => {
    const forger = generateKeyPair('hub-1');
    const forged = sealNotification({ kind: 'provider-notice', caseId: kase.id, to: { subscriber: 'orig-noc', name: 'Orig NOC' }, body: notice }, 'hub', forger, Date.now());
    expect(checkNotification(forged, { hubKey: pinned }).failures).toEqual([
      "hub seal (hub, kid hub-1): the notification's hub key is not the pinned key",
      'hub seal (hub, kid hub-1): signature invalid',
    ]);
    const other = sealNotification({ kind: 'provider-notice', caseId: 'case-8', to: { subscriber: 'orig-noc', name: 'Orig NOC' }, body: notice }, 'hub', hubKey, Date.now());
    expect(checkNotification({ ...sealed(), signature: other.signature }, { hubKey: pinned }).failures[0]).toMatch(/seals idempotency key ntf_.+, not ntf_/);
  });

  it('refuses a referral without the evidence of its case, and what is not a notification', () => {
    const doc = sealNotification({ kind: 'referral', caseId: kase.id, to: { subscriber: 'fbi', name: 'FBI' }, body: { summary: {} } }, 'hub', hubKey, Date.now());
    expect(checkNotification(doc, { hubKey: pinned }).failures).toEqual(['evidence: the referral carries no evidence bundle of case case-7']);
    expect(checkNotification({ format: 'hoptrace-evidence/1' }).failures[0]).toMatch(/^not a hoptrace notification: format/);
  });

  it('keys one notification the same way every time, and different notifications differently', () => {
    expect(sealed().idempotencyKey).toBe(sealed().idempotencyKey);
    expect(idempotencyKey('referral', 'c', 'fbi')).not.toBe(idempotencyKey('referral', 'c', 'state-ag'));
    expect(idempotencyKey('manual-hop', 'c', 'p', 'q1')).not.toBe(idempotencyKey('manual-hop', 'c', 'p', 'q2'));
  });
});

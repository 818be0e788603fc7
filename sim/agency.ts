/**
 * A simulated enforcement agency for the demo: its webhook, an HTTP server on loopback, is registered at the hub
 * as a subscriber to one campaign's referrals, pins the hub key the registration names, and verifies every
 * referral package it receives offline — the hub's seal, then each hop's signed answer in the evidence — as a
 * real agency's intake would before it acts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Notification } from '../hub/notify/document.js';
import type { ReferralBody } from '../hub/notify/referral.js';
import { checkNotification } from '../hub/notify/verify.js';
import type { RunningNetwork } from './carriers.js';

export const AGENCY_ID = 'state-ag-robocall-unit';

interface Referral {
  doc: Notification<ReferralBody>;
  failures: string[];
}

export interface Agency {
  /** Waits until `expected` referrals arrived (or `timeoutMs`), stops the webhook: what it received, and what is wrong. */
  collect(expected: number, timeoutMs?: number): Promise<{ lines: string; problems: string[] }>;
}

export async function startAgency(net: RunningNetwork, campaign: string): Promise<Agency> {
  const referrals = new Map<string, Referral>();
  let pinned = '';
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const doc = JSON.parse(raw) as Notification<ReferralBody>;
      // A duplicate (same idempotency key) is acknowledged and dropped.
      if (!referrals.has(doc.idempotencyKey)) referrals.set(doc.idempotencyKey, { doc, failures: checkNotification(doc, { hubKey: pinned, subscriber: AGENCY_ID }).failures });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/referrals`;
  const registered = await net.client.notify().addSubscriber({
    id: AGENCY_ID,
    name: 'State AG robocall unit (simulated)',
    kind: 'agency',
    url,
    receives: { referrals: { campaigns: [campaign] } },
  });
  pinned = registered.verifyWith.publicKey;

  return {
    async collect(expected, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (referrals.size < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      const got = [...referrals.values()];
      const problems = got.flatMap((r) => r.failures.map((f) => `referral of ${r.doc.caseId}: ${f}`));
      if (got.length !== expected) problems.push(`the agency received ${got.length} referral(s), expected ${expected}`);
      const verified = got.filter((r) => r.failures.length === 0);
      const byOutcome = new Map<string, number>();
      for (const r of verified) {
        const s = r.doc.body.summary;
        const key = s.originator ? `originated at ${s.originator.provider}` : s.pointOfEntry ? `point of entry ${s.pointOfEntry.provider}` : s.outcome.replace('_', ' ');
        byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
      }
      const example = verified.find((r) => r.doc.body.summary.originator);
      const lines = [
        `Referrals: the simulated agency "${AGENCY_ID}" (webhook ${url}) received ${got.length} referral package(s) of campaign "${campaign}",`,
        `  ${verified.length} verified offline with the hub key it pinned (hub seal + every hop's signed answer): ${[...byOutcome].map(([k, v]) => `${v} ${k}`).join(', ')}`,
        ...(example ? [`  e.g. case ${example.doc.caseId}: path ${example.doc.body.summary.path.join(' ─▶ ')}, customer ${example.doc.body.summary.originator?.customer?.account ?? '?'}, ${example.doc.body.evidence.case.hops.length} signed hop answer(s)`] : []),
      ];
      return { lines: lines.join('\n'), problems };
    },
  };
}

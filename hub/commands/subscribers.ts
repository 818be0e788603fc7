/**
 * Referrals and notifications from the command line (admin token):
 *   subscribers add --file FILE | --id ID --name NAME --kind agency|provider --url URL [--provider P]
 *                   [--referrals] [--campaign C[,C]] [--outcome O[,O]] [--naming P] [--notices]
 *   subscribers list | remove ID
 *   deliveries list [--state pending|delivered|dead] [--subscriber ID] [--case ID] [--limit N]
 *   deliveries show ID | redeliver ID | drop ID   (drop: a dead letter only, for good)
 * A refused subscriber names the bad field and registers nothing.
 */
import { readSettingsFile } from '../../config/file.js';
import { flags, UsageError } from '../../config/cli.js';
import type { DeliveryView } from '../notify/client.js';
import type { Subscriber } from '../notify/subscriber.js';
import { clientFlags, type Out, withClient } from './client.js';

const subscriberFlags = {
  ...clientFlags,
  file: { type: 'string' },
  id: { type: 'string' },
  name: { type: 'string' },
  kind: { type: 'string' },
  url: { type: 'string' },
  provider: { type: 'string' },
  referrals: { type: 'boolean' },
  campaign: { type: 'string' },
  outcome: { type: 'string' },
  naming: { type: 'string' },
  notices: { type: 'boolean' },
} as const;

export async function subscribersCommand(args: string[], out: Out): Promise<number> {
  const [sub, ...rest] = args;
  const { values: v, positionals } = flags(rest, subscriberFlags);
  return withClient(v, async (c) => {
    const api = c.notify();
    switch (sub) {
      case 'add': {
        const body = v.file ? readSettingsFile(v.file as string) : subscriberFromFlags(v as Record<string, string | boolean | undefined>);
        out(formatSubscriber(await api.addSubscriber(body)));
        return 0;
      }
      case 'list': {
        const all = await api.listSubscribers();
        for (const s of all) out(formatSubscriber(s));
        if (!all.length) out('no subscribers\n');
        return 0;
      }
      case 'remove':
        if (!positionals[0]) throw new UsageError('subscribers remove needs a subscriber id');
        await api.removeSubscriber(positionals[0]);
        out(`removed ${positionals[0]}\n`);
        return 0;
      default:
        throw new UsageError('subscribers: expected add, list or remove');
    }
  });
}

export async function deliveriesCommand(args: string[], out: Out): Promise<number> {
  const [sub, ...rest] = args;
  const { values: v, positionals } = flags(rest, { ...clientFlags, state: { type: 'string' }, subscriber: { type: 'string' }, case: { type: 'string' }, limit: { type: 'string' } });
  return withClient(v, async (c) => {
    const api = c.notify();
    switch (sub) {
      case 'list': {
        const state = v.state as string | undefined;
        if (state !== undefined && !['pending', 'delivered', 'dead'].includes(state)) throw new UsageError('--state must be pending, delivered or dead');
        const found = await api.deliveries({
          ...(state && { state: state as DeliveryView['state'] }),
          ...(v.subscriber && { subscriber: v.subscriber as string }),
          ...(v.case && { case: v.case as string }),
          ...(v.limit && { limit: Number(v.limit) }),
        });
        for (const d of found) out(formatDelivery(d));
        if (!found.length) out('no deliveries\n');
        return 0;
      }
      case 'show':
        if (!positionals[0]) throw new UsageError('deliveries show needs a delivery id');
        out(`${JSON.stringify(await api.delivery(positionals[0]), null, 2)}\n`);
        return 0;
      case 'redeliver':
        if (!positionals[0]) throw new UsageError('deliveries redeliver needs a delivery id');
        out(`queued again: ${formatDelivery(await api.redeliver(positionals[0]))}`);
        return 0;
      case 'drop':
        if (!positionals[0]) throw new UsageError('deliveries drop needs a delivery id');
        await api.dropDeadLetter(positionals[0]);
        out(`dropped ${positionals[0]}\n`);
        return 0;
      default:
        throw new UsageError('deliveries: expected list, show, redeliver or drop');
    }
  });
}

function subscriberFromFlags(v: Record<string, string | boolean | undefined>): unknown {
  const list = (x: string | boolean | undefined) => (typeof x === 'string' ? x.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
  const campaigns = list(v.campaign);
  const outcomes = list(v.outcome);
  const naming = typeof v.naming === 'string' ? v.naming : undefined;
  const referrals = v.referrals || campaigns || outcomes || naming ? { ...(campaigns && { campaigns }), ...(outcomes && { outcomes }), ...(naming && { naming }) } : undefined;
  if (!referrals && !v.notices) throw new UsageError('subscribers add: say what it receives (--referrals and/or --campaign/--outcome/--naming, --notices)');
  return {
    id: v.id,
    name: v.name,
    kind: v.kind,
    url: v.url,
    ...(typeof v.provider === 'string' && { provider: v.provider }),
    receives: { ...(referrals && { referrals }), notices: v.notices === true },
  };
}

function formatSubscriber(s: Subscriber): string {
  const r = s.receives.referrals;
  const what = [
    r && `referrals${r.campaigns ? ` of campaign ${r.campaigns.join('|')}` : ''}${r.outcomes ? ` ending ${r.outcomes.join('|')}` : ''}${r.naming ? ` naming ${r.naming}` : ''}`,
    s.receives.notices && `notices for ${s.provider}`,
  ].filter(Boolean);
  return `${s.id}\t${s.kind}\t${s.url}\t${what.join('; ')}\t${s.name}\n  verify with hub ${s.verifyWith.hubId} key ${s.verifyWith.publicKey} (kid ${s.verifyWith.kid})\n`;
}

function formatDelivery(d: DeliveryView): string {
  const when = d.state === 'delivered' ? `delivered ${iso(d.deliveredAt)}` : d.state === 'dead' ? `dead since ${iso(d.deadAt)}` : `next attempt ${iso(d.nextAt)}`;
  return `${d.id}  ${d.state.padEnd(9)} ${d.kind.padEnd(15)} → ${d.subscriber}  case ${d.caseId}  ${d.attempts} attempt(s), ${when}${d.lastError ? `\n    last error: ${d.lastError}` : ''}\n`;
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '?' : new Date(ms).toISOString();
}

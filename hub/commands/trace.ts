/**
 * Tracebacks from the command line:
 *   trace --calling N --called N --at ISO8601 --from PROVIDER [--campaign NAME] [--wait]
 *   trace --campaign NAME --file calls.csv [--wait] [--progress]   (hub/campaign-file.ts)
 *   show ID  |  cancel ID [--reason TEXT]  |  campaign NAME   (the campaign's provider graph)
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { flags, UsageError } from '../../config/cli.js';
import { Progress } from '../../config/progress.js';
import type { CampaignGraph } from '../campaign.js';
import { parseCampaignFile } from '../campaign-file.js';
import { type Case, caseKind } from '../case.js';
import type { HubClient } from '../client.js';
import { clientFlags, type Out, withClient } from './client.js';

/** How long `--wait` waits for tracebacks to end before giving up (exit 3; they go on). */
const WAIT_MS = 120_000;
/**
 * Calls started per request: a campaign's 10,000 calls are more than the hub's 1 MB body limit in one request,
 * and each request's reply is a step of the progress shown. Every call is checked before the first is sent.
 */
const START_BATCH = 500;
/** How often `--wait` asks how a campaign stands. */
const CAMPAIGN_POLL_MS = 1000;

export async function traceCommand(args: string[], out: Out): Promise<number> {
  const { values } = flags(args, {
    ...clientFlags,
    calling: { type: 'string' },
    called: { type: 'string' },
    at: { type: 'string' },
    from: { type: 'string' },
    campaign: { type: 'string' },
    file: { type: 'string' },
    wait: { type: 'boolean' },
    progress: { type: 'boolean' },
  });
  if (values.file) {
    if (!values.campaign) throw new UsageError('trace --file needs --campaign NAME');
    if (values.calling || values.called || values.at || values.from) throw new UsageError('trace --file takes the calls from the file: drop --calling/--called/--at/--from');
    const file = values.file as string;
    const campaign = values.campaign as string;
    const calls = parseCampaignFile(readFileSync(file, 'utf8'), basename(file), campaign).map(({ campaign: _c, ...t }) => t);
    const progress = Progress.forCommand(`campaign ${campaign}`, 'tracebacks', values.progress === true);
    return withClient(values, async (c) => {
      const started = await startInBatches(c, campaign, calls, progress);
      for (const t of started) out(`${t.id}\t${t.status}\n`);
      out(`campaign ${campaign}: ${started.length} traceback(s) started\n`);
      if (!values.wait) return 0;
      const graph = await waitForCampaign(c, campaign, started.length, progress);
      out(formatGraph(graph));
      return graph.outcomes.open ? 3 : 0;
    });
  }
  const shown = await withClient(values, async (c) => {
    const started = await c.startTraceback({
      call: { calling: values.calling, called: values.called, at: values.at },
      firstProvider: values.from,
      ...(values.campaign && { campaign: values.campaign }),
    });
    return values.wait ? c.waitForEnd(started.id, 120_000) : started;
  });
  out(formatCase(shown));
  return shown.status === 'open' && values.wait ? 3 : 0;
}

async function startInBatches(c: HubClient, campaign: string, calls: unknown[], progress: Progress | null): Promise<{ id: string; status: string }[]> {
  const started: { id: string; status: string }[] = [];
  progress?.begin('starting', calls.length);
  try {
    for (let at = 0; at < calls.length; at += START_BATCH) {
      started.push(...(await c.startCampaign(campaign, calls.slice(at, at + START_BATCH))).tracebacks);
      progress?.update(started.length);
    }
  } catch (err) {
    // The batches before this one did start: say so with the error.
    if (started.length > 0 && err instanceof Error) err.message += ` (after ${started.length} of ${calls.length} tracebacks started)`;
    throw err;
  } finally {
    progress?.end();
  }
  return started;
}

/** The campaign's graph once none of its `total` tracebacks is open, or when WAIT_MS has passed. */
async function waitForCampaign(c: HubClient, campaign: string, total: number, progress: Progress | null): Promise<CampaignGraph> {
  const until = Date.now() + WAIT_MS;
  progress?.begin('ended', total);
  try {
    for (;;) {
      const graph = await c.campaignGraph(campaign);
      progress?.update(graph.tracebacks - (graph.outcomes.open ?? 0));
      if (!graph.outcomes.open || Date.now() > until) return graph;
      await new Promise((r) => setTimeout(r, CAMPAIGN_POLL_MS));
    }
  } finally {
    progress?.end();
  }
}

export async function showCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = flags(args, clientFlags);
  if (!positionals[0]) throw new UsageError('show needs a traceback id');
  out(formatCase(await withClient(values, (c) => c.getTraceback(positionals[0]!))));
  return 0;
}

export async function cancelCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = flags(args, { ...clientFlags, reason: { type: 'string' } });
  if (!positionals[0]) throw new UsageError('cancel needs a traceback id');
  out(formatCase(await withClient(values, (c) => c.cancelTraceback(positionals[0]!, values.reason as string | undefined))));
  return 0;
}

export async function campaignCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = flags(args, clientFlags);
  if (!positionals[0]) throw new UsageError('campaign needs a campaign name');
  out(formatGraph(await withClient(values, (c) => c.campaignGraph(positionals[0]!))));
  return 0;
}

/** A case as people read it: the hop chain with each answer. */
export function formatCase(c: Case): string {
  const head = `${caseKind(c) === 'forward' ? 'trace forward' : 'traceback'} ${c.id}  ${c.status}${c.detail ? ` — ${c.detail}` : ''}`;
  const call = `${c.call.calling} → ${c.call.called} at ${c.call.at}`;
  const lines = c.forward ? [head, `  number ${c.forward.number}  (the call-back number of the call ${call})`] : [head, `  call ${call}`];
  c.hops.forEach((h, i) => {
    const a = h.answer;
    const took = h.answeredAt !== undefined && h.attempts[0] ? `${h.answeredAt - h.attempts[0].sentAt} ms` : '';
    const named = a?.matches[0]?.upstream?.providerId ?? a?.matches[0]?.upstream?.name ?? a?.matches[0]?.customer?.account ?? '';
    const by = h.answeredBy ? ` (answered by ${h.answeredBy.name})` : '';
    lines.push(`  ${i + 1}. ${h.provider.padEnd(16)} ${(a?.result ?? h.state).padEnd(12)} ${named.padEnd(18)} ${took}${by}`);
  });
  if (c.shaken) {
    const s = c.shaken;
    lines.push(`  SHAKEN ${s.attest} signed by ${s.signer} (${s.provider}): ${s.answer ? `side answer ${s.answer.result}` : s.query ? 'side query sent' : 'no side query needed'}, path ${s.path ?? 'undecided'}`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatGraph(g: CampaignGraph): string {
  const outcomes = (o: Record<string, number | undefined>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [`campaign ${g.campaign}: ${g.tracebacks} traceback(s) — ${outcomes(g.outcomes) || 'none'}`];
  for (const e of g.edges) lines.push(`  ${e.from.padEnd(16)} → ${e.to.padEnd(16)} ${String(e.calls).padStart(6)} call(s)  ${outcomes(e.outcomes)}`);
  for (const p of g.providers) if (Object.keys(p.ended).length) lines.push(`  ended at ${p.id}: ${outcomes(p.ended)}`);
  return `${lines.join('\n')}\n`;
}

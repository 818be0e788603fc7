/**
 * DNO blocking as an agent reports it on its /metrics: the `hoptrace_sip_invites_total` counter, by action and
 * DNO category, summed over call sources. Read the way Prometheus would, from the text exposition format.
 */
export interface BlockCounts {
  invites: number;
  blocked: number;
  /** Blocked INVITEs by DNO category. */
  blockedBy: Record<string, number>;
}

export async function blockCounts(httpPort: number): Promise<BlockCounts> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  return parseBlockCounts(await res.text());
}

/** Pure: the counts in a text exposition. */
export function parseBlockCounts(text: string): BlockCounts {
  const counts: BlockCounts = { invites: 0, blocked: 0, blockedBy: {} };
  for (const line of text.split('\n')) {
    const m = line.match(/^hoptrace_sip_invites_total\{([^}]*)\} ([0-9.e+]+)$/);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const n = Number(m[2]);
    counts.invites += n;
    if (labels.action !== 'block') continue;
    counts.blocked += n;
    const category = labels.category ?? 'none';
    counts.blockedBy[category] = (counts.blockedBy[category] ?? 0) + n;
  }
  return counts;
}

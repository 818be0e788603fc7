/**
 * The calls of a campaign as a CSV file (`hoptrace-hub trace --campaign NAME --file calls.csv`): a header row
 * naming the columns `calling`, `called`, `at` and `from` (the terminating provider), optionally `window`
 * (± seconds), in any order; then one call per line. Errors name the line and the column. Pure.
 */
import { splitCsv } from '../agent/cdr/csv.js';
import { MessageError, parse, TracebackInput } from '../proto/messages.js';

export const CAMPAIGN_COLUMNS = ['calling', 'called', 'at', 'from'] as const;

export class CampaignFileError extends Error {
  override readonly name = 'CampaignFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

export function parseCampaignFile(text: string, file: string, campaign: string): TracebackInput[] {
  const lines = text.split('\n');
  const fields = (n: number) => {
    const row = splitCsv(lines[n - 1] ?? '', { separator: ',' });
    if (!('toArray' in row)) throw new CampaignFileError(file, n, row.message);
    return row.toArray().map((f) => f.trim());
  };
  const header = fields(1).map((h) => h.toLowerCase());
  const missing = CAMPAIGN_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) throw new CampaignFileError(file, 1, `the header lacks column(s) ${missing.join(', ')} (expected ${CAMPAIGN_COLUMNS.join(',')}[,window])`);
  const col = (name: string) => header.indexOf(name);
  const out: TracebackInput[] = [];
  for (let n = 2; n <= lines.length; n++) {
    if ((lines[n - 1] ?? '').trim() === '') continue;
    const f = fields(n);
    const window = col('window') >= 0 ? f[col('window')] : undefined;
    const body = {
      call: { calling: f[col('calling')], called: f[col('called')], at: f[col('at')] },
      firstProvider: f[col('from')],
      campaign,
      ...(window && { windowSec: Number(window) }),
    };
    try {
      out.push(parse(TracebackInput, body));
    } catch (err) {
      if (!(err instanceof MessageError)) throw err;
      const column = err.path.replace(/^call\./, '').replace('firstProvider', 'from').replace('windowSec', 'window');
      throw new CampaignFileError(file, n, `${column}: ${err.reason}`);
    }
  }
  if (!out.length) throw new CampaignFileError(file, 1, 'no calls after the header');
  return out;
}

/** What every client command shares: the hub URL and token from flags or the environment. */
import { UsageError } from '../../config/cli.js';
import { HubClient } from '../client.js';

export const clientFlags = { hub: { type: 'string' }, token: { type: 'string' } } as const;

export type Out = (s: string) => void;

type ClientValues = { hub?: string | boolean | undefined; token?: string | boolean | undefined };

/** Runs `work` with a client of the hub, and closes its connections when done. */
export async function withClient<T>(values: ClientValues, work: (c: HubClient) => Promise<T>): Promise<T> {
  const c = client(values);
  try {
    return await work(c);
  } finally {
    await c.close();
  }
}

function client(values: ClientValues): HubClient {
  const url = (values.hub as string | undefined) ?? process.env.HOPTRACE_HUB_URL;
  const token = (values.token as string | undefined) ?? process.env.HOPTRACE_TOKEN;
  if (!url) throw new UsageError('--hub URL (or HOPTRACE_HUB_URL) is required');
  if (!token) throw new UsageError('--token TOKEN (or HOPTRACE_TOKEN) is required');
  return new HubClient(url, token);
}

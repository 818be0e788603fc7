/**
 * The agent's link to its hub in push mode: the hub POSTs signed hop queries to this agent's HTTP server
 * (`POST /v1/queries` with `{ "queries": ["<jws>", …] }`), for sites that prefer an inbound port to a standing
 * poll. The queries are the credential: each is verified as a pulled one is (hub-link.ts); the reply says which
 * were accepted (202) and why others were refused, and the answers go back to the hub as pulled ones do.
 */
import type http from 'node:http';
import type { Logger } from 'pino';
import { json, type Route } from '../http.js';
import type { HubLink } from './hub-link.js';

export const PUSH_PATH = '/v1/queries';
/** A push carries a few signed queries of about a kilobyte each. */
export const MAX_PUSH_BYTES = 256 * 1024;

export interface Refused {
  index: number;
  reason: string;
}

export class PushEndpoint {
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly link: HubLink,
    private readonly log: Logger,
  ) {}

  readonly route: Route = async (req, res) => {
    if ((req.url ?? '').split('?')[0] !== PUSH_PATH) return false;
    if (req.method !== 'POST') {
      json(res, 405, { error: `${PUSH_PATH} takes POST` });
      return true;
    }
    if (this.stopped) {
      json(res, 503, { error: 'agent stopping' });
      return true;
    }
    const body = await readJson(req);
    if ('error' in body) {
      json(res, body.status, { error: body.error });
      return true;
    }
    const queries = (body.value as { queries?: unknown } | null)?.queries;
    if (!Array.isArray(queries) || queries.length === 0 || !queries.every((q) => typeof q === 'string')) {
      json(res, 400, { error: 'queries: expected a non-empty array of signed hop queries' });
      return true;
    }
    const refused: Refused[] = [];
    let accepted = 0;
    for (const [index, jws] of queries.entries()) {
      try {
        for (const query of await this.link.open(jws)) {
          accepted++;
          this.track(this.link.answer(query));
        }
      } catch (err) {
        refused.push({ index, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    if (refused.length) this.log.warn({ refused }, 'refused pushed hop queries that failed verification');
    json(res, accepted ? 202 : 401, { accepted, refused });
    return true;
  };

  /** Refuses new pushes and waits for the answers under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}

type Body = { value: unknown } | { status: 400 | 413; error: string };

async function readJson(req: http.IncomingMessage): Promise<Body> {
  const tooLarge = { status: 413, error: `body larger than ${MAX_PUSH_BYTES} bytes` } as const;
  if (Number(req.headers['content-length'] ?? 0) > MAX_PUSH_BYTES) return tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early destroys the request: only a body that lied about its length gets no reply.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PUSH_BYTES) return tooLarge;
    chunks.push(chunk);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { status: 400, error: 'body is not valid JSON' };
  }
}

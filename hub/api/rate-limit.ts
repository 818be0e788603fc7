/**
 * Token-bucket rate limits of the hub API (issue 8): one bucket per bearer token (people and scripts) and one
 * per agent signing key (`iss`/`kid` of its envelopes). A request over its limit gets 429 with Retry-After.
 *
 * The key is read before authentication, so a caller could name someone else's: a request the route then
 * refuses as unauthenticated (401) gives its token back, so forged envelopes and unknown tokens cannot drain
 * the bucket of the key they name. Buckets live in process memory: each hub instance limits what it serves.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { decode } from '../../proto/envelope.js';
import { hashToken } from '../auth.js';
import type { HubEnv } from './context.js';
import { HttpError } from './errors.js';

export interface BucketSpec {
  /** Sustained requests per second. */
  perSec: number;
  /** Requests that may come at once after a quiet spell. */
  burst: number;
}

export interface RateLimits {
  token: BucketSpec;
  agent: BucketSpec;
}

export type Taken = { ok: true } | { ok: false; retryAfterSec: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets by key, refilled lazily on use; at most `maxKeys` are held (full ones are forgotten first). */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly spec: BucketSpec,
    private readonly clock: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  take(key: string): Taken {
    const now = this.clock();
    const bucket = this.refilled(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / this.spec.perSec)) };
  }

  /** Gives back a token taken for a request that turned out not to be this key's. */
  refund(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.spec.burst, bucket.tokens + 1);
  }

  private refilled(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.forget(now);
      bucket = { tokens: this.spec.burst, at: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    bucket.tokens = Math.min(this.spec.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.spec.perSec);
    bucket.at = now;
    return bucket;
  }

  /** A full bucket is the same as none; if all are in use, the oldest half goes (memory stays bounded). */
  private forget(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.spec.perSec >= this.spec.burst) this.buckets.delete(key);
    }
    if (this.buckets.size < this.maxKeys) return;
    let drop = this.buckets.size / 2;
    for (const key of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}

/** `Bearer <token>` → the bucket of that token (by hash: the token itself is a secret and never held). */
export function tokenKey(c: Context<HubEnv>): string | undefined {
  const m = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1] ? `token:${hashToken(m[1])}` : undefined;
}

/** The signing key of an agent's envelope: the poll in `Authorization: Hoptrace`, or the answer's `jws`. */
export async function agentKey(c: Context<HubEnv>): Promise<string | undefined> {
  const poll = c.req.header('authorization')?.match(/^Hoptrace\s+(\S+)$/)?.[1];
  let jws = poll;
  if (jws === undefined && c.req.method === 'POST') {
    // Hono caches the parsed body: the route reads the same value again.
    const body: unknown = await c.req.json().catch(() => undefined);
    const field = (body as { jws?: unknown } | null | undefined)?.jws;
    if (typeof field === 'string') jws = field;
  }
  if (jws === undefined) return undefined;
  try {
    const { header, claims } = decode(jws);
    return `agent:${claims.iss}/${header.kid}`;
  } catch {
    return undefined; // not an envelope: the route refuses it
  }
}

/** The middleware: 429 with Retry-After over the limit; a 401 answer gives the token back. */
export function rateLimit(buckets: TokenBuckets, keyOf: (c: Context<HubEnv>) => string | undefined | Promise<string | undefined>, who: string): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    const key = await keyOf(c);
    if (key === undefined) return next();
    const taken = buckets.take(key);
    if (!taken.ok) {
      c.header('retry-after', String(taken.retryAfterSec));
      throw new HttpError(429, `rate limit: more than ${buckets.spec.perSec} requests per second for this ${who}; retry after ${taken.retryAfterSec} s`);
    }
    await next();
    if (c.res.status === 401) buckets.refund(key);
  };
}

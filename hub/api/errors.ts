/** Typed errors → HTTP statuses with a reason that helps the caller and leaks nothing. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { EnvelopeError } from '../../proto/envelope.js';
import { MessageError } from '../../proto/messages.js';
import { KeyError } from '../../proto/keys.js';
import { AuthError } from '../auth.js';
import { EngineRejection } from '../engine.js';
import { AnswerMismatchError, UnknownQueryError } from '../hub.js';
import { KeyRotationError } from '../key-rotation.js';
import { ManualLinkError } from '../manual.js';
import { UnknownProviderError } from '../registry.js';
import { ConflictError } from '../store/store.js';

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
  ) {
    super(message);
  }
}

export function toResponse(err: unknown, c: Context): Response {
  const [status, body] = classify(err);
  const log = c.get('log' as never) as { warn: (o: object, m: string) => void; error: (o: object, m: string) => void } | undefined;
  if (status >= 500) log?.error({ err }, 'request failed');
  else log?.warn({ status, error: body.error }, 'request refused');
  return c.json(body, status);
}

/** The status and body an error answers with (also per item of a batch, hub/api/agents.ts). */
export function classify(err: unknown): [ContentfulStatusCode, { error: string; path?: string; code?: string }] {
  if (err instanceof MessageError) return [400, { error: err.message, path: err.path }];
  if (err instanceof KeyError) return [400, { error: err.message }];
  if (err instanceof HttpError) return [err.status, { error: err.message }];
  if (err instanceof AuthError || err instanceof ManualLinkError) return [err.status, { error: err.message }];
  if (err instanceof UnknownProviderError) return [404, { error: err.message }];
  if (err instanceof KeyRotationError) return [409, { error: err.message }];
  if (err instanceof EnvelopeError) return [401, { error: `envelope refused: ${err.code}`, code: err.code }];
  if (err instanceof AnswerMismatchError) return [403, { error: err.message }];
  if (err instanceof UnknownQueryError) return [404, { error: err.message }];
  if (err instanceof EngineRejection || err instanceof ConflictError) return [409, { error: err.message }];
  return [500, { error: 'internal error' }];
}

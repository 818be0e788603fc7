import type { Context } from 'hono';
import { HttpError } from './errors.js';

/** The request body as JSON, or a 400 that says why. */
export async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

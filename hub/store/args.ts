/** Argument checks shared by both stores: a bad count or time is a clear error before anything changes. */

export function positiveCount(op: string, name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${op}: ${name} must be a positive integer, got ${n}`);
  return n;
}

export function instantMs(op: string, name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${op}: ${name} must be a time in ms since the epoch, got ${ms}`);
  return ms;
}

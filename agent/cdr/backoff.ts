/** Retry delays while the store is down: doubling from `initialMs` up to `maxMs`; a pause that stop() can cut short. */

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export class Backoff {
  private delay: number;

  constructor(private readonly o: BackoffOptions) {
    this.delay = o.initialMs;
  }

  next(): number {
    const d = this.delay;
    this.delay = Math.min(this.delay * 2, this.o.maxMs);
    return d;
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * An agent's long poll: take the provider's queued queries now, or wait for the store's enqueue signal (from any
 * hub instance) and take them then, up to `waitMs`. Nothing here sleeps or polls on a timer: an enqueue wakes
 * the waiter at once, which is what keeps a hop in the milliseconds. The first take is the store's call when
 * listening starts (HubStore.onEnqueue): once the subscription is active, so nothing enqueued after it is missed.
 * One take runs at a time, and a poll that ends while a take is running returns what it took: a query taken
 * from the queue is always handed to the agent, never dropped between two signals.
 */
import type { HopQuery } from '../proto/messages.js';
import type { HubStore } from './store/store.js';

/** Queries taken per poll: enough to drain a busy queue in a few round trips. */
export const TAKE_PER_POLL = 64;

export function waitForQueries(store: HubStore, provider: string, waitMs: number, signal?: AbortSignal): Promise<HopQuery[]> {
  const take = () => store.take(provider, TAKE_PER_POLL);
  if (waitMs <= 0) return take();
  return new Promise<HopQuery[]>((resolve, reject) => {
    let done = false;
    let taking = false;
    let again = false;
    let closing = false;
    const finish = (result: HopQuery[] | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', close);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const attempt = async () => {
      if (done) return;
      if (taking) return void (again = true);
      taking = true;
      try {
        do {
          again = false;
          const items = await take();
          if (items.length) return finish(items);
        } while (again && !closing);
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      } finally {
        taking = false;
        if (closing) finish([]);
      }
    };
    const close = () => (taking ? (closing = true) : finish([]));
    const unsubscribe = store.onEnqueue(provider, () => void attempt());
    const timer = setTimeout(close, waitMs);
    signal?.addEventListener('abort', close, { once: true });
  });
}

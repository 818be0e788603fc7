import type { ChainableCommander, Redis } from 'ioredis';

/** Runs a pipeline and returns its replies, throwing the first command error (a pipeline reports them per command). */
export async function execAll(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = await pipeline.exec();
  if (results === null) throw new Error('the pipeline was discarded');
  return results.map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
}

/**
 * One pipeline per `chunk` items, each awaited before the next is built: building a pipeline is synchronous,
 * and a loop blocked for a second would fire the socket timeout of replies that already arrived.
 */
export async function execChunked<T>(
  redis: Redis,
  items: readonly T[],
  chunk: number,
  queue: (pipeline: ChainableCommander, item: T) => void,
  done?: (items: readonly T[]) => void,
): Promise<void> {
  for (let start = 0; start < items.length; start += chunk) {
    const part = items.slice(start, start + chunk);
    const pipeline = redis.pipeline();
    for (const item of part) queue(pipeline, item);
    await execAll(pipeline);
    done?.(part);
  }
}

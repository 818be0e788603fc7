/**
 * A Lua script run by its SHA1 (EVALSHA), loaded with EVAL when the server does not know it yet (NOSCRIPT:
 * first use, or a Redis that restarted and lost its script cache). Every script starts with the Redis 7
 * shebang: on a cluster, Redis then refuses a script that touches keys of more than one hash slot, declared
 * or not, instead of running it on whichever node it reached.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../config/redis-connection.js';

export class LuaScript {
  private readonly lua: string;
  private readonly sha: string;

  constructor(body: string) {
    this.lua = `#!lua\n${body.trim()}\n`;
    this.sha = createHash('sha1').update(this.lua).digest('hex');
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** `redis.cluster`: a property of the deployment's Redis, set the same way for the agent and the hub (config/sections.ts). */
import { describe, expect, it } from 'vitest';
import { loadAgentConfig, loadHubConfig } from '../../config/load.js';
import { configErrorOf, scratchDir } from './tmp.js';

const scratch = scratchDir();
let n = 0;

const programs = [
  ['hub', (file: string) => loadHubConfig({ file, env: {} }).config.redis, ''],
  ['agent', (file: string) => loadAgentConfig({ file, env: {} }).config.redis, 'provider: acme\n'],
] as const;

describe.each(programs)('%s redis.cluster', (_name, load, head) => {
  const write = (body: string) => scratch.write(`redis-${n++}.yaml`, head + body);

  it('is off unless set, and on when the file says so', () => {
    expect(load(write('redis: { url: "redis://127.0.0.1:7001" }\n'))).toEqual({ url: 'redis://127.0.0.1:7001', cluster: false });
    expect(load(write('redis: { url: "redis://127.0.0.1:7001", cluster: true }\n'))).toEqual({ url: 'redis://127.0.0.1:7001', cluster: true });
  });

  it('refuses a value that is not a boolean, and a misspelt key, naming the setting and the file', () => {
    const file = write('redis: { url: "redis://127.0.0.1:7001", cluster: "yes", clustr: true }\n');
    const err = configErrorOf(() => load(file));
    expect(err.issues.map((i) => [i.path, i.reason, i.source])).toEqual([
      ['redis.cluster', 'expected true or false, got "yes"', file],
      ['redis.clustr', 'unknown key (did you mean cluster?)', file],
    ]);
  });
});

it('the agent no longer takes calls.redisCluster (now redis.cluster): a file setting it is refused, naming the key and the file', () => {
  const file = scratch.write('old-agent.yaml', 'provider: acme\nredis: { url: "redis://127.0.0.1:7001" }\ncalls: { redisCluster: true }\n');
  const err = configErrorOf(() => loadAgentConfig({ file, env: {} }));
  expect(err.issues.map((i) => [i.path, i.source])).toEqual([['calls.redisCluster', file]]);
  expect(err.issues[0]!.reason).toMatch(/^unknown key/);
});

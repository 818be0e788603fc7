/**
 * Starts a private Redis Cluster of `nodes` masters on free loopback ports (`redis-server --cluster-enabled yes`
 * each, then `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`), and stops it afterwards.
 * Each node's cluster bus port is chosen free too (`--cluster-port`): port + 10000 may be taken or past 65535.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort, startRedis, type RedisServer } from './redis.js';

const run = promisify(execFile);

export interface RedisCluster {
  nodes: RedisServer[];
  /** `redis://127.0.0.1:PORT` of each node: any one is a seed for a cluster client. */
  urls: string[];
  /** A cluster-aware client (follows MOVED/ASK); the caller disconnects it. */
  client(): Cluster;
  /** Each node's own keys matching `pattern` (KEYS glob), in node order: a node lists only the slots it owns. */
  keysPerNode(pattern: string): Promise<string[][]>;
  stop(): Promise<void>;
}

export async function startRedisCluster(nodes = 3): Promise<RedisCluster> {
  const started: RedisServer[] = [];
  try {
    for (let i = 0; i < nodes; i++) started.push(await startNode());
    const addresses = started.map((n) => `127.0.0.1:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await waitUntilOk(started);
  } catch (err) {
    await Promise.all(started.map((n) => n.stop()));
    throw err;
  }
  return {
    nodes: started,
    urls: started.map((n) => n.url),
    client: () => new Cluster(started.map((n) => ({ host: '127.0.0.1', port: n.port }))),
    keysPerNode: (pattern) =>
      Promise.all(
        started.map(async (n) => {
          const node = new Redis(n.url);
          try {
            return await node.keys(pattern);
          } finally {
            node.disconnect();
          }
        }),
      ),
    async stop() {
      await Promise.all(started.map((n) => n.stop()));
    },
  };
}

/** One node; its bus port found free may be taken before it binds it: then another. */
async function startNode(attempts = 3): Promise<RedisServer> {
  const busPort = await freePort();
  const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort), '--cluster-node-timeout', '2000'];
  try {
    return await startRedis(args);
  } catch (err) {
    if (attempts <= 1) throw err;
    return startNode(attempts - 1);
  }
}

/** Every node sees every slot assigned and the cluster ok (the gossip takes a moment after create). */
async function waitUntilOk(nodes: readonly RedisServer[]): Promise<void> {
  const clients = nodes.map((n) => new Redis(n.url, { lazyConnect: false }));
  try {
    for (let i = 0; ; i++) {
      const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO').then(String)));
      if (infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_slots_assigned:16384'))) return;
      if (i > 200) throw new Error(`Redis Cluster did not become ok:\n${infos.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
}

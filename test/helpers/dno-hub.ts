/**
 * An in-process hub with its DNO master list on a real HTTP socket (and, given a Redis URL, the list in Redis),
 * tokens for network ops, and registered providers whose agents may sync the list.
 */
import pino from 'pino';
import { hashToken, newToken, type Role } from '../../hub/auth.js';
import { HubClient } from '../../hub/client.js';
import type { DnoClient } from '../../hub/dno/client.js';
import { type HubDno, openHubDno } from '../../hub/dno/open.js';
import { defaultEngineConfig } from '../../hub/engine.js';
import { Hub } from '../../hub/hub.js';
import { listenHub } from '../../hub/server.js';
import { MemoryHubStore } from '../../hub/store/memory-store.js';
import { generateKeyPair, type KeyPair, publicKeyToRaw } from '../../proto/keys.js';

export const silent = pino({ level: 'silent' });

/** Token names and their roles: ops may change the list, the others may not. */
const ROLES = { ops: ['dno:write', 'trace:read'], reader: ['trace:read'], tracer: ['trace:write', 'trace:read'] } as const satisfies Record<string, readonly Role[]>;

export interface DnoHub {
  hub: Hub;
  dno: HubDno;
  key: KeyPair;
  url: string;
  tokens: Record<keyof typeof ROLES, string>;
  /** The DNO client as the token's owner. */
  api(as?: keyof typeof ROLES): DnoClient;
  /** Register a provider with a fresh agent key, returning the key. */
  provider(id: string): Promise<KeyPair>;
  stop(): Promise<void>;
}

export async function startDnoHub(o: { redisUrl?: string; keyPrefix?: string } = {}): Promise<DnoHub> {
  const store = new MemoryHubStore();
  const key = generateKeyPair('hub-dno');
  const hub = new Hub({ id: 'hub', key, store, log: silent, engine: defaultEngineConfig });
  const dno = openHubDno({
    ...(o.redisUrl && { redisUrl: o.redisUrl }),
    ...(o.keyPrefix && { keyPrefix: o.keyPrefix }),
    hubId: 'hub',
    key,
    keys: (iss, kid) => hub.registry.keys(iss, kid, Date.now()),
    jti: store,
  });
  const tokens = {} as DnoHub['tokens'];
  for (const [name, roles] of Object.entries(ROLES)) {
    const token = newToken();
    tokens[name as keyof typeof ROLES] = token;
    await store.putToken(hashToken(token), { id: name, roles: [...roles], createdAt: Date.now() });
  }
  const http = await listenHub(hub, { host: '127.0.0.1', port: 0, now: Date.now, dno });
  const clients: HubClient[] = [];
  return {
    hub,
    dno,
    key,
    url: http.url,
    tokens,
    api(as = 'ops') {
      const c = new HubClient(http.url, tokens[as]);
      clients.push(c);
      return c.dno();
    },
    async provider(id) {
      const agentKey = generateKeyPair();
      await hub.registry.upsert({ id, name: id.toUpperCase(), reach: 'agent-pull', keys: [{ kid: agentKey.kid, publicKey: publicKeyToRaw(agentKey.publicKey) }] }, Date.now());
      return agentKey;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
      await http.close();
      await hub.stop();
      await dno.close();
      await store.close();
    },
  };
}

/**
 * An in-process hub on a real HTTP socket, with a token per role, and scripted agents that talk to it over
 * loopback HTTP through the agent's own link code (agent/link/): what the hub sees is what real agents send.
 */
import pino, { type Logger } from 'pino';
import { request } from 'undici';
import { hashToken, newToken, type Role } from '../../hub/auth.js';
import { HubClient } from '../../hub/client.js';
import { defaultEngineConfig, type EngineConfig } from '../../hub/engine.js';
import { Hub, type HubOptions } from '../../hub/hub.js';
import { listenHub } from '../../hub/server.js';
import { MemoryHubStore } from '../../hub/store/memory-store.js';
import type { HubStore } from '../../hub/store/store.js';
import { HubLink } from '../../agent/link/hub-link.js';
import { PullLink } from '../../agent/link/pull.js';
import { generateKeyPair, type KeyPair, publicKeyToRaw } from '../../proto/keys.js';
import type { HopAnswer, HopQuery, HopResult, Match, ProviderInput } from '../../proto/messages.js';

export const silent = pino({ level: 'silent' });

export const ROLE_TOKENS = {
  admin: ['admin'],
  requester: ['trace:write', 'trace:read'],
  writer: ['trace:write'],
  reader: ['trace:read'],
  dno: ['dno:write'],
} as const satisfies Record<string, readonly Role[]>;

export interface TestHub {
  hub: Hub;
  store: HubStore;
  key: KeyPair;
  url: string;
  /** Bearer tokens by name (ROLE_TOKENS), plus `expired`. */
  tokens: Record<keyof typeof ROLE_TOKENS | 'expired', string>;
  api(as?: keyof TestHub['tokens']): HubClient;
  /** A raw request: status and JSON body. */
  http(method: string, path: string, o?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export interface TestHubOptions {
  store?: HubStore;
  engine?: Partial<EngineConfig>;
  now?: () => number;
  tickMs?: number;
  /** Where the hub logs (default: nowhere). */
  log?: Logger;
  previousKeys?: HubOptions['previousKeys'];
}

export async function startTestHub(o: TestHubOptions = {}): Promise<TestHub> {
  const store = o.store ?? new MemoryHubStore();
  const key = generateKeyPair('hub-test');
  const now = o.now ?? Date.now;
  const hub = new Hub({ id: 'hub', key, ...(o.previousKeys && { previousKeys: o.previousKeys }), store, log: o.log ?? silent, now, tickMs: o.tickMs ?? 20, engine: { ...defaultEngineConfig, agentDeadlineMs: 500, agentRetries: 1, ...o.engine } });
  const tokens = {} as TestHub['tokens'];
  for (const [name, roles] of Object.entries(ROLE_TOKENS)) {
    tokens[name as keyof typeof ROLE_TOKENS] = newToken();
    await store.putToken(hashToken(tokens[name as keyof typeof ROLE_TOKENS]), { id: name, roles: [...roles], createdAt: now() });
  }
  tokens.expired = newToken();
  await store.putToken(hashToken(tokens.expired), { id: 'expired', roles: ['admin'], createdAt: now() - 10_000, expiresAt: now() - 1 });
  await hub.start();
  const http = await listenHub(hub, { host: '127.0.0.1', port: 0, now });
  return {
    hub,
    store,
    key,
    url: http.url,
    tokens,
    api: (as = 'admin') => new HubClient(http.url, tokens[as]),
    async http(method, path, r = {}) {
      const body = r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body));
      const res = await request(`${http.url}${path}`, {
        method: method as 'GET',
        headers: { ...(r.token && { authorization: `Bearer ${r.token}` }), ...(body !== undefined && { 'content-type': 'application/json' }), ...r.headers },
        ...(body !== undefined && { body }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
    },
    async stop() {
      await http.close();
      await hub.stop();
      await store.close();
    },
  };
}

/** How a scripted agent answers: a result, the upstream it names, and anything else of the answer. */
export type Script = (q: HopQuery) => { result: HopResult; upstream?: string; match?: Partial<Match>; reason?: string } | 'silent';

export interface ScriptedAgent {
  id: string;
  key: KeyPair;
  asked: HopQuery[];
  link: HubLink;
  stop(): Promise<void>;
}

export function provider(id: string, key: KeyPair | undefined, over: Partial<ProviderInput> = {}): Partial<ProviderInput> {
  return { id, name: id.toUpperCase(), reach: 'agent-pull', keys: key ? [{ kid: key.kid, publicKey: publicKeyToRaw(key.publicKey) }] : [], ...over };
}

export function scriptedAnswer(q: HopQuery, id: string, s: Exclude<ReturnType<Script>, 'silent'>): HopAnswer {
  const match: Match = {
    at: q.call.at,
    calling: q.call.calling,
    called: q.call.called,
    source: 'sip',
    ingress: { ip: '198.51.100.7' },
    ...(s.upstream && { upstream: { providerId: s.upstream, name: s.upstream.toUpperCase() } }),
    ...(s.result === 'originated' && { customer: { account: 'acct-1' } }),
    ...s.match,
  };
  return {
    queryId: q.queryId,
    tracebackId: q.tracebackId,
    provider: id,
    result: s.result,
    matches: s.result === 'not_found' || s.result === 'unavailable' ? [] : [match],
    ...(s.reason && { reason: s.reason }),
    answeredAt: new Date().toISOString(),
    agentVersion: 'test',
  };
}

/** An agent that answers by `script`, through the real HubLink; pulls unless `link` is given to a push endpoint. */
export function scriptedLink(t: { url: string; key: KeyPair }, id: string, key: KeyPair, script: Script, asked: HopQuery[]): HubLink {
  return new HubLink({
    hubUrl: t.url,
    hubId: 'hub',
    hubKeys: [t.key.publicKey],
    provider: id,
    key,
    log: silent,
    headersTimeoutMs: 30_000,
    handle: async (q) => {
      asked.push(q);
      const s = script(q);
      // A silent agent posts no answer: the hub's deadline decides.
      if (s === 'silent') throw new Error('scripted silence');
      return scriptedAnswer(q, id, s);
    },
  });
}

export function startScriptedAgent(t: { url: string; key: KeyPair }, id: string, script: Script, key = generateKeyPair()): ScriptedAgent {
  const asked: HopQuery[] = [];
  const link = scriptedLink(t, id, key, script, asked);
  const pull = new PullLink(link, { waitSec: 5, log: silent });
  pull.start();
  return {
    id,
    key,
    asked,
    link,
    async stop() {
      await pull.stop();
      await link.close();
    },
  };
}

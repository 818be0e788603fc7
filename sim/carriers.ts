/**
 * Starts a simulated network in this process: a hub with the network's DNO master list, and one agent per
 * provider that has one, each as a carrier would run it — its own signing key, the embedded store, its ingress
 * map, its CDR directory, its own DNO list and (for carriers whose SBC asks one) a SIP policy server on
 * loopback UDP. Resolves once every agent decides with the hub's list. Everything talks over real loopback
 * sockets; the files live in a temporary directory removed on stop.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import YAML from 'yaml';
import { type RunningAgent, startAgent } from '../agent/agent.js';
import { AgentConfig } from '../config/agent.js';
import { HubConfig } from '../config/hub.js';
import { hashToken, newToken } from '../hub/auth.js';
import { HubClient } from '../hub/client.js';
import { type RunningHub, startHub } from '../hub/server.js';
import { generateKeyPair, type KeyPair, privateKeyToPem, publicKeyToRaw } from '../proto/keys.js';
import type { Network, SimProvider } from './network.js';

export interface NetworkOptions {
  network: Network;
  log: Logger;
  /** Hub HTTP port on 127.0.0.1; 0 (default) picks a free one. */
  hubPort?: number;
  /** How long an agent has to answer and how often it is retried (the demo keeps the defaults). */
  deadlines?: { agentSec?: number; agentRetries?: number; manualHours?: number };
}

export interface PolicyServer {
  host: string;
  port: number;
}

export interface RunningNetwork {
  network: Network;
  hub: RunningHub;
  /** An admin token of the hub (the demo prints it; the UI takes it). */
  token: string;
  client: HubClient;
  agents: Map<string, RunningAgent>;
  policyServers: Map<string, PolicyServer>;
  /** Provider id → its switch's CDR file. */
  cdrFiles: Map<string, string>;
  dir: string;
  stop(): Promise<void>;
}

export async function startNetwork(o: NetworkOptions): Promise<RunningNetwork> {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-sim-'));
  const stops: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => o.log.error({ err }, 'stopping the simulated network failed'));
  };
  try {
    const write = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text, { mode: 0o600 });
      return file;
    };
    const keys = new Map(o.network.providers.map((p) => [p.id, generateKeyPair(`${p.id}-sim`)]));
    const hubKey = generateKeyPair('hub-sim');
    const token = newToken();

    const hubCfg = HubConfig.parse({
      http: { listen: `127.0.0.1:${o.hubPort ?? 0}` },
      keys: { privateKeyFile: write('hub.pem', privateKeyToPem(hubKey.privateKey)), kid: hubKey.kid },
      tokens: { file: write('tokens.yaml', YAML.stringify([{ id: 'demo-admin', roles: ['admin'], sha256: hashToken(token) }])) },
      providersFile: write('providers.yaml', YAML.stringify(o.network.providers.map((p) => registration(p, keys.get(p.id)!)))),
      deadlines: o.deadlines ?? {},
    });
    const hub = await startHub(hubCfg, o.log.child({ part: 'hub' }));
    stops.push(() => hub.stop());
    const client = new HubClient(hub.url, token);
    stops.push(() => client.close());

    const { version: dnoVersion } = await client.dno().import(o.network.hubDno, { why: 'the simulated industry list', file: 'industry-dno.csv' });
    const agents = new Map<string, RunningAgent>();
    const policyServers = new Map<string, PolicyServer>();
    const cdrFiles = new Map<string, string>();
    for (const p of o.network.providers) {
      if (p.reach === 'manual') continue;
      const key = keys.get(p.id)!;
      const cdrDir = join(dir, `${p.id}-cdr`);
      if (p.cdr) {
        mkdirSync(cdrDir);
        cdrFiles.set(p.id, join(cdrDir, p.cdr.file));
      }
      const sip = p.policyServer ? { host: '127.0.0.1', port: await freeUdpPort() } : undefined;
      if (sip) policyServers.set(p.id, sip);
      const cfg = AgentConfig.parse({
        provider: p.id,
        hub: { url: hub.url, publicKeys: [publicKeyToRaw(hubKey.publicKey)], pollWaitSec: 10 },
        keys: { privateKeyFile: write(`${p.id}.pem`, privateKeyToPem(key.privateKey)), kid: key.kid },
        http: { listen: '127.0.0.1:0' },
        ...(sip && { sip: { listen: [`udp:${sip.host}:${sip.port}`] } }),
        ...(o.network.localDno[p.id] !== undefined && { dno: { file: write(`${p.id}-dno.csv`, o.network.localDno[p.id]!) } }),
        cdr: p.cdr ? [{ format: p.cdr.format, dir: cdrDir, zone: p.cdr.zone, ...(p.cdr.options && { options: p.cdr.options }) }] : [],
        ingress: { map: p.ingress },
      });
      const agent = await startAgent(cfg, o.log.child({ part: 'agent', provider: p.id }));
      stops.push(() => agent.stop());
      agents.set(p.id, agent);
    }
    await dnoSynced(agents, dnoVersion);
    return { network: o.network, hub, token, client, agents, policyServers, cdrFiles, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export class DnoSyncTimeoutError extends Error {
  override readonly name = 'DnoSyncTimeoutError';
  constructor(
    readonly version: number,
    readonly behind: readonly string[],
  ) {
    super(`agents ${behind.join(', ')} did not sync the hub's DNO list version ${version} in time`);
  }
}

/** Until every agent decides with the hub's list (its snapshot built from `version` or later). */
async function dnoSynced(agents: ReadonlyMap<string, RunningAgent>, version: number, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const behind = [...agents].filter(([, a]) => a.dno.snapshot.version < version).map(([id]) => id);
    if (behind.length === 0) return;
    if (Date.now() > until) throw new DnoSyncTimeoutError(version, behind);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A provider as the hub's providers file registers it. */
function registration(p: SimProvider, key: KeyPair) {
  return {
    id: p.id,
    name: p.name,
    reach: p.reach,
    ...(p.gateway && { gateway: true }),
    ...(p.foreign && { foreign: true }),
    ...(p.contact && { contact: p.contact }),
    keys: p.reach === 'manual' ? [] : [{ kid: key.kid, publicKey: publicKeyToRaw(key.publicKey) }],
  };
}

/** A UDP port free on loopback right now (the policy server binds it a moment later). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

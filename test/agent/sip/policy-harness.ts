/** The policy server in process on loopback ports the OS picks, with a memory call index, and a UDP client for it. */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { CallSource, DnoCategory } from '../../../proto/messages.js';
import { createMemoryCallIndex } from '../../../agent/calls/memory-index.js';
import type { CallIndex } from '../../../agent/calls/store.js';
import { parseCoList } from '../../../agent/dno/colist.js';
import type { DnoAction } from '../../../agent/dno/decide.js';
import { parseListFile } from '../../../agent/dno/listfile.js';
import { buildSnapshot, type DnoSnapshot } from '../../../agent/dno/snapshot.js';
import { sipMetrics } from '../../../agent/sip/metrics.js';
import { type PolicyContext, policyContext, type PolicySettings } from '../../../agent/sip/policy.js';
import { startPolicyServer, type PolicyServer, type PolicyServerOptions } from '../../../agent/sip/policy-server.js';

const fixtures = new URL('../../fixtures/', import.meta.url);
export const fixture = (path: string): Buffer => readFileSync(new URL(path, fixtures));

/** The DNO fixtures: list-sample.csv (listed, unassigned, a +1900 prefix, a range) and the CO sample (202, 301). */
export function fixtureSnapshot(): DnoSnapshot {
  const entries = parseListFile(fixture('dno/list-sample.csv').toString('utf8'), 'list-sample.csv');
  const co = parseCoList(fixture('dno/allutlzd-sample.txt').toString('utf8'), 'allutlzd-sample.txt');
  return buildSnapshot(entries, { version: 3, coAssigned: co });
}

/** Every DNO category blocked over the fixture lists, as the call sources that only record (HEP, drachtio) are tested. */
export function fixturePolicy(source: CallSource): PolicyContext {
  return policyContext(
    { continueMode: '302', block: { code: 603, reasonText: 'Call Rejected' }, callingFrom: 'pai' },
    { snapshot: fixtureSnapshot(), actions: { listed: 'block', invalid: 'block', unallocated: 'block', unassigned: 'block' }, emergency: [] },
    source,
  );
}

export interface HarnessOptions {
  transports?: ('udp' | 'tcp')[];
  snapshot?: DnoSnapshot;
  /** Decide with whatever snapshot this holds at each INVITE (a LiveDno); wins over `snapshot`. */
  live?: { readonly snapshot: DnoSnapshot };
  actions?: Partial<Record<DnoCategory, DnoAction>>;
  settings?: Partial<PolicySettings>;
  index?: CallIndex;
  log?: Logger;
  tcp?: PolicyServerOptions['tcp'];
  recvBufferBytes?: number;
  identity?: PolicyServerOptions['identity'];
  recorder?: PolicyServerOptions['recorder'];
  allowFrom?: readonly string[];
  /** Address the listeners bind; default 127.0.0.1. */
  host?: string;
}

export interface Harness {
  server: PolicyServer;
  index: CallIndex;
  registry: Registry;
  port(transport: 'udp' | 'tcp'): number;
  /** A metric's value summed over the series that have these labels (0 when never counted). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Observations of a histogram. */
  observations(name: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const registry = new Registry();
  const index = o.index ?? createMemoryCallIndex({ retentionDays: 1, bucketSec: 3600 });
  const settings: PolicySettings = { continueMode: '302', block: { code: 603, reasonText: 'Call Rejected' }, callingFrom: 'pai', ...o.settings };
  const actions: Record<DnoCategory, DnoAction> = { listed: 'block', invalid: 'block', unallocated: 'block', unassigned: 'block', ...o.actions };
  const live = o.live ?? { snapshot: o.snapshot ?? fixtureSnapshot() };
  const dno = {
    get snapshot() {
      return live.snapshot;
    },
    actions,
    emergency: [],
  };
  const policy = policyContext(settings, dno, 'sip');
  const server = await startPolicyServer({
    listen: (o.transports ?? ['udp']).map((transport) => ({ transport, host: o.host ?? '127.0.0.1', port: 0 })),
    recvBufferBytes: o.recvBufferBytes ?? 1024 * 1024,
    policy,
    index,
    metrics: sipMetrics(registry),
    log: o.log ?? pino({ level: 'silent' }),
    ...(o.tcp && { tcp: o.tcp }),
    ...(o.allowFrom && { allowFrom: o.allowFrom }),
    ...(o.identity && { identity: o.identity }),
    recorder: { flushMs: 20, ...o.recorder },
  });
  return {
    server,
    index,
    registry,
    port(transport) {
      const listener = server.listeners.find((l) => l.transport === transport);
      if (!listener) throw new Error(`no ${transport} listener`);
      return listener.port;
    },
    async metric(name, labels = {}) {
      const metric = await registry.getSingleMetric(name)?.get();
      const values = metric?.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)) ?? [];
      return values.reduce((sum, v) => sum + v.value, 0);
    },
    async observations(name) {
      const values = (await registry.getSingleMetric(name)?.get())?.values as { value: number; metricName?: string }[] | undefined;
      return values?.find((v) => v.metricName === `${name}_count`)?.value ?? 0;
    },
    async stop() {
      await server.stop();
      await index.close();
    },
  };
}

export interface UdpClient {
  port: number;
  send(message: Buffer, port: number): void;
  /** The next datagram received, or null if none comes within `ms`. */
  next(ms?: number): Promise<Buffer | null>;
  close(): Promise<void>;
}

/** A client bound to `host` (another loopback address, e.g. 127.0.0.2, is another peer) sending to 127.0.0.1. */
export async function udpClient(host = '127.0.0.1'): Promise<UdpClient> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  let waiter: ((b: Buffer) => void) | null = null;
  socket.on('message', (msg) => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(msg);
    } else received.push(msg);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return {
    port: socket.address().port,
    send: (message, port) => socket.send(message, port, '127.0.0.1'),
    next(ms = 2_000) {
      const first = received.shift();
      if (first) return Promise.resolve(first);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiter = null;
          resolve(null);
        }, ms);
        waiter = (b) => {
          clearTimeout(timer);
          resolve(b);
        };
      });
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** "SIP/2.0 302 Moved Temporarily" → 302; null for no message. */
export function statusOf(message: Buffer | null): number | null {
  if (!message) return null;
  const m = /^SIP\/2\.0 ([0-9]{3}) /.exec(message.toString('latin1'));
  return m ? Number(m[1]) : null;
}

export function headerOf(message: Buffer | null, name: string): string | undefined {
  const m = new RegExp(`\\r\\n${name}: ([^\\r]*)\\r\\n`, 'i').exec(message?.toString('latin1') ?? '');
  return m?.[1];
}

/** What the tailer suites share: CDR lines made up on the spot, an index that counts (and can fail), log capture. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CallRecord } from '../../../agent/calls/record.js';
import { StoreUnavailableError, type CallIndex } from '../../../agent/calls/store.js';
import type { CdrSourceSettings, TailerTuning } from '../../../agent/cdr/tailer.js';

/** The generic format with a column map: `callId,epoch-ms,calling,called,trunkGroup,ip`. */
export const GENERIC_OPTIONS = { timeFormat: 'epoch-ms', columns: { callId: 1, time: 2, calling: 3, called: 4, trunkGroup: 5, ip: 6 } };

/** Calls within the index's retention: a few minutes before now. */
export const BASE_MS = Date.now() - 600_000;

/** Call `i`: a called number of its own, so a lookup by it finds this call and no other. */
export function called(i: number): string {
  return `+1202${String(2_000_000 + i)}`;
}

export function atOf(i: number): number {
  return BASE_MS + i * 7;
}

export function cdrLine(i: number): string {
  return `c${i},${atOf(i)},+1312555${String(i % 10_000).padStart(4, '0')},${called(i)},TG_${i % 3},203.0.113.${i % 200}\n`;
}

export function cdrLines(from: number, count: number, line: (i: number) => string = cdrLine): string {
  let text = '';
  for (let i = from; i < from + count; i++) text += line(i);
  return text;
}

/** Call `i` as Kamailio's acc module logs it to syslog (a format that needs no options). */
export function kamailioLine(i: number): string {
  return (
    `Nov 28 19:00:00 sbc1 /usr/sbin/kamailio[2002]: NOTICE: acc [acc.c:317]: acc_log_request(): ACC: transaction answered: ` +
    `timestamp=${Math.floor(atOf(i) / 1000)};method=INVITE;from_tag=f${i};to_tag=t${i};call_id=k${i}@203.0.113.40;code=200;reason=OK;` +
    `src_user=3125550117;src_domain=203.0.113.40;src_ip=203.0.113.${i % 200};dst_ouser=${called(i)};dst_user=${called(i)};dst_domain=192.0.2.1\n`
  );
}

export const METASWITCH_HEADER = '<?xml version="1.0"?>\n<File xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><CDRs>\n';

/** Call `i` as a Metaswitch CFS billing record element, on one line. */
export function metaswitchCall(i: number): string {
  return (
    `<Call seqnum="${i}" correlator="${i}"><OrigParty xsi:type="NetworkTrunkPartyType"><TrunkGroup type="sip" trunkname="Carrier A"/>` +
    `<CallingPartyAddr type="e164">+13125550117</CallingPartyAddr></OrigParty><RoutingInfo><RequestedAddr type="e164">${called(i)}</RequestedAddr>` +
    `</RoutingInfo><IcSeizeTime>${atOf(i)}</IcSeizeTime></Call>\n`
  );
}

const made: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-tailer-'));
  made.push(dir);
  return dir;
}

/** Removes the directories tempDir() made (after the tailers using them stopped). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function genericSource(dir: string, pattern?: string): CdrSourceSettings {
  return { format: 'generic', dir, zone: 'UTC', options: GENERIC_OPTIONS, ...(pattern !== undefined && { pattern }) };
}

/** Fast settings for tests: look often, settle soon, small batches. */
export const TEST_TUNING: Partial<TailerTuning> = {
  pollMs: 50,
  eventDelayMs: 5,
  settleMs: 150,
  batchDelayMs: 10,
  retry: { initialMs: 20, maxMs: 100 },
  stopGraceMs: 500,
};

/** A call index that counts what it acknowledged, and fails like a store that is down while `down` is set. */
export class CountingIndex implements CallIndex {
  added = 0;
  down = false;
  failedAdds = 0;

  constructor(readonly inner: CallIndex) {}

  async add(records: readonly CallRecord[]): Promise<void> {
    if (this.down) {
      this.failedAdds++;
      throw new StoreUnavailableError('add');
    }
    await this.inner.add(records);
    this.added += records.length;
  }

  lookup(calledNumber: string, fromMs: number, toMs: number, limit?: number): Promise<CallRecord[]> {
    return this.inner.lookup(calledNumber, fromMs, toMs, limit);
  }

  ping(): Promise<boolean> {
    return this.down ? Promise.resolve(false) : this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** How many indexed records each of calls [from, from + count) has (1 each when indexed exactly once). */
export async function foundCounts(index: CallIndex, from: number, count: number): Promise<number[]> {
  const counts: number[] = [];
  // A few dozen lookups at a time, each tried again if a busy machine makes Redis miss its deadline.
  for (let first = from; first < from + count; first += 64) {
    const ids = Array.from({ length: Math.min(64, from + count - first) }, (_, k) => first + k);
    const found = await Promise.all(ids.map((i) => lookupPatiently(index, called(i), atOf(i) - 1000, atOf(i) + 1000)));
    for (const records of found) counts.push(records.length);
  }
  return counts;
}

async function lookupPatiently(index: CallIndex, calledNumber: string, fromMs: number, toMs: number): Promise<CallRecord[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await index.lookup(calledNumber, fromMs, toMs);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || attempt === 5) throw err;
      await sleep(200);
    }
  }
}

export async function waitUntil(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A logger whose JSON lines are kept for assertions. */
export function capturedLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

/** A counter's or gauge's value, summed over its labels. */
export async function metricValue(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

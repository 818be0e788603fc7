/**
 * CDR ingestion rate, parse + index into Redis (DESIGN §7: ≥ 100,000 records/s per agent process):
 *
 *   npx tsx bench/cdr-ingest.ts [records] [format]   (default 200,000 per format; every format, or the one named)
 *
 * For each format a file of `records` synthetic records (distinct called numbers, times of the last day) is
 * written to a temporary directory, and a CDR tailer reads it into the Redis call index on a private
 * redis-server, with its checkpoints in the same Redis: the time from the tailer's start until the index has
 * acknowledged the last record ("tailer e2e"), in a process of its own as an agent (with this one's node flags:
 * `node --max-semi-space-size=2 --import tsx bench/cdr-ingest.ts` measures the agent image's young generation),
 * once from a cold start and three times warm. Then its parts alone, to name the bottleneck: parse only (the
 * file's 256 kB chunks through the format, as the tailer cuts them), the tailer into no store (read, parse,
 * batch, checkpoint: its own cost), and index only (add() of the parsed records in batches of 5,000, one after
 * the other as the tailer sends them). Rates per wall second and per CPU second of the process that ran the
 * stage; redis-server's CPU seconds beside them (INFO cpu).
 */
import '../config/fast-strings.js'; // first: restores fast string methods after ioredis loads
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { CallRecord } from '../agent/calls/record.js';
import type { CallIndex } from '../agent/calls/store.js';
import { createRedisCallIndex } from '../agent/calls/redis-index.js';
import { cdrFormat } from '../agent/cdr/formats.js';
import { MemoryCheckpointStore } from '../agent/cdr/checkpoints.js';
import { openCheckpointStore } from '../agent/cdr/open-checkpoints.js';
import { parseSegment, unitEnd } from '../agent/cdr/segment.js';
import { DEFAULT_TUNING, startCdrTailer, type CdrSourceSettings } from '../agent/cdr/tailer.js';
import { startRedis, type RedisServer } from '../test/helpers/redis.js';
import { twoDigits, wallClock } from '../proto/wall-clock.js';

const RECORDS = Number(process.argv[2] ?? 200_000);
const ONLY = process.argv[3];
const INDEX = { retentionDays: 30, bucketSec: 3600 };
const DAY_MS = 86_400_000;
const START_MS = Date.now() - DAY_MS;

interface Case {
  source: Omit<CdrSourceSettings, 'dir'>;
  file: string;
  /** Record i: a line, or an XML record element. */
  line(i: number): string;
  /** What an XML file holds before its first record and after its last. */
  head?: string;
  tail?: string;
}

const calledDigits = (i: number) => String(2_022_000_000 + ((i * 7919) % 7_000_000));
const timeOf = (i: number) => START_MS + Math.floor((i / RECORDS) * (DAY_MS - 60_000));

/** A Ribbon STOP record from the fixture, with its called number and its start time (node zone CST) varied. */
function ribbonLine(): (i: number) => string {
  const fixture = readFileSync(new URL('../test/fixtures/cdr/ribbon/sbc01-20251231.ACT', import.meta.url), 'latin1');
  const stop = fixture.split('\n').find((l) => l.startsWith('STOP,') && l.includes('2025550143')) as string;
  return (i) => {
    const w = wallClock(timeOf(i), 'America/Chicago');
    const date = `${twoDigits(w.month)}/${twoDigits(w.day)}/${w.year}`;
    const time = `${twoDigits(w.hour)}:${twoDigits(w.minute)}:${twoDigits(w.second)}.${i % 10}`;
    return `${stop.replaceAll('12/31/2025', date).replaceAll('18:00:00.4', time).replaceAll('2025550143', calledDigits(i))}\n`;
  };
}

function kamailioLine(i: number): string {
  return (
    `Nov 28 19:00:00 sbc1 /usr/sbin/kamailio[2002]: NOTICE: acc [acc.c:317]: acc_log_request(): ACC: transaction answered: ` +
    `timestamp=${Math.floor(timeOf(i) / 1000)};method=INVITE;from_tag=f${i};to_tag=t${i};call_id=${i.toString(16)}@203.0.113.40;code=200;` +
    `reason=OK;src_user=3125550117;src_domain=203.0.113.40;src_ip=203.0.113.${i % 250};dst_ouser=${calledDigits(i)};` +
    `dst_user=${calledDigits(i)};dst_domain=192.0.2.1\n`
  );
}

/** An XML fixture's first record element that names `called`, and what comes before and after its records. */
function xmlRecord(file: string, element: string, called: string): { record: string; head: string; tail: string } {
  const xml = readFileSync(new URL(`../test/fixtures/cdr/${file}`, import.meta.url), 'utf8');
  const close = `</${element}>`;
  const first = xml.indexOf(`<${element}`);
  let at = first;
  while (!xml.slice(at, xml.indexOf(close, at)).includes(called)) at = xml.indexOf(`<${element}`, at + 1);
  const record = xml.slice(at, xml.indexOf(close, at) + close.length);
  return { record, head: xml.slice(0, first), tail: `\n${xml.slice(xml.lastIndexOf(close) + close.length).trimStart()}` };
}

/** A Metaswitch CFS Call of the fixture, its called number and seize time (epoch ms) varied. */
function metaswitchCase(): Case {
  const { record, head, tail } = xmlRecord('metaswitch/cfs-billing-0000169.xml', 'Call', '2025550143');
  const seize = /<IcSeizeTime>(\d+)<\/IcSeizeTime>/.exec(record)?.[1] as string;
  const line = (i: number) => `\t\t${record.replaceAll('2025550143', calledDigits(i)).replaceAll(seize, String(timeOf(i)))}\n`;
  return { source: { format: 'metaswitch', zone: 'UTC', options: {} }, file: 'cfs-billing-0000170.xml', line, head, tail };
}

/** A BroadWorks Normal cdrData of the fixture, its called number and start time (UTC) varied. */
function broadworksCase(): Case {
  const { record, head, tail } = xmlRecord('broadworks-xml/BW-CDR-20260101000000-2-SP1.xml', 'cdrData', '<type>Normal</type>');
  const start = /<startTime>([\d.]+)<\/startTime>/.exec(record)?.[1] as string;
  const zone = /<userTimeZone>([^<]+)<\/userTimeZone>/.exec(record)?.[1] as string;
  const utc = record.replaceAll(`<userTimeZone>${zone}</userTimeZone>`, '<userTimeZone>0+000000</userTimeZone>');
  const line = (i: number) => {
    const w = wallClock(timeOf(i), 'UTC');
    const stamp = `${w.year}${twoDigits(w.month)}${twoDigits(w.day)}${twoDigits(w.hour)}${twoDigits(w.minute)}${twoDigits(w.second)}.${String(i % 1000).padStart(3, '0')}`;
    return `  ${utc.replaceAll('2025550143', calledDigits(i)).replace(`<startTime>${start}</startTime>`, `<startTime>${stamp}</startTime>`)}\n`;
  };
  return { source: { format: 'broadworks-xml', zone: 'UTC', options: {} }, file: 'BW-CDR-20260102000000-2-SP1.xml', line, head, tail };
}

const CASES: Case[] = [
  { source: { format: 'kamailio', zone: 'UTC', options: {} }, file: 'kamailio.log', line: kamailioLine },
  { source: { format: 'ribbon', zone: 'America/New_York', options: { nodeZones: { CST: 'America/Chicago' } } }, file: 'sbc01.ACT', line: ribbonLine() },
  metaswitchCase(),
  broadworksCase(),
];

interface Rate {
  records: number;
  wallS: number;
  cpuS: number;
  redisCpuS: number;
}

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return value('used_cpu_user') + value('used_cpu_sys');
}

async function timed(redis: Redis, records: number, run: () => Promise<void>): Promise<Rate> {
  const r0 = await redisCpu(redis);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { records, wallS, cpuS: (cpu.user + cpu.system) / 1e6, redisCpuS: (await redisCpu(redis)) - r0 };
}

/** A call index that takes everything at once: the tailer's own cost (read, parse, batch, checkpoint). */
const NO_STORE: CallIndex = { add: async () => {}, lookup: async () => [], ping: async () => true, close: async () => {} };

/** The tailer from its start until the index acknowledged the last record, into Redis or into no store. */
async function ingest(url: string, redis: Redis, c: Case, dir: string, store: 'redis' | 'none'): Promise<Rate> {
  await redis.flushall();
  const index = store === 'redis' ? createRedisCallIndex({ url, ...INDEX }) : NO_STORE;
  const checkpoints = store === 'redis' ? openCheckpointStore({ redisUrl: url, agent: 'bench' }) : new MemoryCheckpointStore();
  const metrics = new Registry();
  const indexed = async () => (await metrics.getSingleMetric('hoptrace_cdr_records_indexed_total')?.get())?.values[0]?.value ?? 0;
  let tailer: ReturnType<typeof startCdrTailer> | undefined;
  const rate = await timed(redis, RECORDS, async () => {
    // To stderr: the end-to-end process answers on stdout.
    tailer = startCdrTailer({ source: { ...c.source, dir }, index, checkpoints, log: pino({ level: 'warn' }, pino.destination(2)), metrics });
    while ((await indexed()) < RECORDS) await new Promise((r) => setTimeout(r, 5));
  });
  await tailer?.stop();
  await Promise.all([index.close(), checkpoints.close()]);
  return rate;
}

/** The file's records, chunk by chunk as the tailer cuts them; each segment's records to `take`. */
function parseAll(c: Case, bytes: Buffer, take: (records: CallRecord[]) => void): void {
  const format = cdrFormat(c.source.format);
  if (format === undefined) throw new Error(`no format ${c.source.format}`);
  const ctx = { file: c.file, zone: c.source.zone, options: c.source.options };
  let line = 1;
  for (let at = 0; at < bytes.length; ) {
    const chunk = bytes.subarray(at, at + DEFAULT_TUNING.chunkBytes);
    const end = unitEnd(format, chunk);
    if (end === 0) break; // an XML file's tail: no record ends in it
    const segment = parseSegment(format, ctx, chunk.subarray(0, end), line);
    if (segment.errors.length > 0) throw new Error(segment.errors[0]?.message);
    take(segment.records);
    line = segment.nextLine;
    at += end;
  }
}

/**
 * End to end in a process of its own, as an agent runs: this one holds the file's bytes and every stage's
 * garbage, which skews the collector (the more so with a small young generation). Same node flags as this
 * process. The file is read four times, into an emptied Redis each time: a cold start, then warm (the JIT
 * done) three times — this machine's speed wanders by a quarter from one second to the next.
 */
function endToEnd(url: string, c: Case, dir: string): { cold: Rate; warm: Rate[] } {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(RECORDS)], {
    env: { ...process.env, [TAILER_ENV]: JSON.stringify({ url, dir, format: c.source.format }) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.error !== undefined) throw child.error;
  if (child.status !== 0) throw new Error(`${c.source.format}: the end-to-end process exited ${child.status ?? child.signal}`);
  return JSON.parse(child.stdout) as { cold: Rate; warm: Rate[] };
}

/** Set for the process endToEnd starts: what it reads and where it writes. */
const TAILER_ENV = 'HOPTRACE_BENCH_TAILER';

async function endToEndProcess(spec: { url: string; dir: string; format: string }): Promise<void> {
  const c = CASES.find((x) => x.source.format === spec.format);
  if (c === undefined) throw new Error(`no case ${spec.format}`);
  const redis = new Redis(spec.url);
  const cold = await ingest(spec.url, redis, c, spec.dir, 'redis');
  const warm: Rate[] = [];
  for (let i = 0; i < 3; i++) warm.push(await ingest(spec.url, redis, c, spec.dir, 'redis'));
  redis.disconnect();
  process.stdout.write(JSON.stringify({ cold, warm }));
}

async function indexOnly(server: RedisServer, redis: Redis, records: readonly CallRecord[]): Promise<Rate> {
  await redis.flushall();
  const index = createRedisCallIndex({ url: server.url, ...INDEX });
  const batch = DEFAULT_TUNING.batchRecords;
  const rate = await timed(redis, records.length, async () => {
    for (let i = 0; i < records.length; i += batch) await index.add(records.slice(i, i + batch));
  });
  await index.close();
  return rate;
}

/**
 * The V8 semi-space flag this process runs with: the agent's image runs with 2 MB (HOPTRACE_AGENT_SEMI_SPACE_MB),
 * which costs ingestion its speed; run `node --max-semi-space-size=2 --import tsx bench/cdr-ingest.ts` to measure it.
 */
function youngGeneration(): string {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const semi = flags.filter((f) => f.startsWith('--max-semi-space-size')).pop();
  return semi === undefined ? 'V8 defaults' : semi;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(9);
const row = (format: string, what: string, r: Rate) =>
  console.log(
    `${format.padEnd(14)} ${what.padEnd(16)} ${fmt(r.records / r.wallS)} ${fmt(r.records / r.cpuS)}   ${r.wallS.toFixed(2).padStart(6)} ${r.cpuS.toFixed(2).padStart(6)} ${r.redisCpuS.toFixed(2).padStart(7)}`,
  );

const tailerSpec = process.env[TAILER_ENV];
if (tailerSpec !== undefined) {
  await endToEndProcess(JSON.parse(tailerSpec) as { url: string; dir: string; format: string });
  process.exit(0);
}

const server = await startRedis();
const redis = new Redis(server.url);
const dir = mkdtempSync(join(tmpdir(), 'hoptrace-bench-cdr-'));
try {
  console.log(
    `node ${process.version}, ${RECORDS.toLocaleString('en-US')} records per format, batches of ${DEFAULT_TUNING.batchRecords}, young generation: ${youngGeneration()}`,
  );
  console.log('format         stage              rec/wall-s rec/cpu-s   wall-s  cpu-s redis-s');
  for (const c of CASES.filter((x) => ONLY === undefined || x.source.format === ONLY)) {
    const caseDir = join(dir, c.source.format);
    const text: string[] = [c.head ?? ''];
    for (let i = 0; i < RECORDS; i++) text.push(c.line(i));
    text.push(c.tail ?? '');
    const bytes = Buffer.from(text.join(''), 'latin1');
    text.length = 0;
    mkdirSync(caseDir);
    writeFileSync(join(caseDir, c.file), bytes);

    let parsed = 0;
    row(c.source.format, 'parse only', await timed(redis, RECORDS, async () => parseAll(c, bytes, (r) => (parsed += r.length))));
    if (parsed !== RECORDS) throw new Error(`${c.source.format}: parsed ${parsed} of ${RECORDS}`);
    row(c.source.format, 'tailer, no store', await ingest(server.url, redis, c, caseDir, 'none'));
    const records: CallRecord[] = [];
    parseAll(c, bytes, (r) => records.push(...r));
    row(c.source.format, 'index only', await indexOnly(server, redis, records));
    records.length = 0;
    const e2e = endToEnd(server.url, c, caseDir);
    row(c.source.format, 'e2e, cold start', e2e.cold);
    for (const warm of e2e.warm) row(c.source.format, 'tailer e2e', warm);
    console.log(`${''.padEnd(14)} ${Math.round(bytes.length / RECORDS)} bytes per record`);
  }
} finally {
  redis.disconnect();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

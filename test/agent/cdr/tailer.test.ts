import { appendFileSync, copyFileSync, mkdirSync, renameSync, rmSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createMemoryCallIndex } from '../../../agent/calls/memory-index.js';
import { MemoryCheckpointStore } from '../../../agent/cdr/checkpoints.js';
import { startCdrSources } from '../../../agent/cdr/sources.js';
import { startCdrTailer, type CdrTailer, type CdrTailerOptions } from '../../../agent/cdr/tailer.js';
import {
  atOf,
  called,
  capturedLog,
  cdrLine,
  cdrLines,
  CountingIndex,
  foundCounts,
  genericSource,
  METASWITCH_HEADER,
  metaswitchCall,
  metricValue,
  removeTempDirs,
  sleep,
  tempDir,
  TEST_TUNING,
  waitUntil,
} from './tailer-harness.js';

const running: CdrTailer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});
afterAll(removeTempDirs);

function setup(dir = tempDir()) {
  const index = new CountingIndex(createMemoryCallIndex({ retentionDays: 30, bucketSec: 3600 }));
  const checkpoints = new MemoryCheckpointStore();
  const { log, lines } = capturedLog();
  const start = (o: Partial<CdrTailerOptions> = {}) => {
    const t = startCdrTailer({ source: genericSource(dir), index, checkpoints, log, tuning: TEST_TUNING, ...o });
    running.push(t);
    return t;
  };
  const stop = async (t: CdrTailer) => {
    running.splice(running.indexOf(t), 1);
    await t.stop();
  };
  return { dir, index, checkpoints, log, lines, start, stop };
}

const indexed = (index: CountingIndex, n: number) => waitUntil(`${n} records are indexed (${index.added} so far)`, () => index.added >= n);

describe('CDR tailer: following files', () => {
  it('indexes every record of a file already there, then the lines appended to it, each once', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'a.csv'), cdrLines(0, 100));
    s.start();
    await indexed(s.index, 100);
    appendFileSync(join(s.dir, 'a.csv'), cdrLines(100, 50));
    await indexed(s.index, 150);
    await sleep(200);
    expect(s.index.added).toBe(150);
    expect(await foundCounts(s.index, 0, 150)).toEqual(Array(150).fill(1));
  });

  it('never reads a half-written last line: it waits for the end of line', async () => {
    const s = setup();
    const file = join(s.dir, 'a.csv');
    const line = cdrLine(1);
    writeFileSync(file, cdrLine(0) + line.slice(0, 30));
    s.start();
    await indexed(s.index, 1);
    await sleep(400); // longer than the file takes to settle: it is still the newest file, so the line waits
    expect(s.index.added).toBe(1);
    appendFileSync(file, line.slice(30));
    await indexed(s.index, 2);
    const [record] = await s.index.lookup(called(1), atOf(1) - 1000, atOf(1) + 1000);
    expect(record).toMatchObject({ at: atOf(1), calling: '+13125550001', ingress: { trunkGroup: 'TG_1', ip: '203.0.113.1' } });
  });

  it('reads the last line of a rotated file once it settles, even without an end of line', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'a.csv'), cdrLines(0, 10) + cdrLine(10).trimEnd());
    s.start();
    await indexed(s.index, 10);
    await sleep(50);
    writeFileSync(join(s.dir, 'b.csv'), cdrLines(11, 5));
    await indexed(s.index, 16);
    expect(await foundCounts(s.index, 0, 16)).toEqual(Array(16).fill(1));
  });

  it('follows rotation by rename: the renamed file is read to its end and the new one from its start', async () => {
    const s = setup();
    const file = join(s.dir, 'cdr.log');
    writeFileSync(file, cdrLines(0, 100));
    s.start({ source: genericSource(s.dir, 'cdr.log*') });
    await indexed(s.index, 100);
    appendFileSync(file, cdrLines(100, 50));
    renameSync(file, `${file}.1`);
    writeFileSync(file, cdrLines(150, 50));
    await indexed(s.index, 200);
    await sleep(300);
    expect(s.index.added).toBe(200);
    expect(await foundCounts(s.index, 0, 200)).toEqual(Array(200).fill(1));
  });

  it('drains a file renamed out of its pattern (or deleted) through the handle it holds', async () => {
    const s = setup();
    const file = join(s.dir, 'sbc.ACT');
    writeFileSync(file, cdrLines(0, 20));
    s.start({ source: genericSource(s.dir, '*.ACT') });
    await indexed(s.index, 20);
    appendFileSync(file, cdrLines(20, 30));
    renameSync(file, join(s.dir, 'sbc.ACT.done'));
    await indexed(s.index, 50);
    expect(await foundCounts(s.index, 0, 50)).toEqual(Array(50).fill(1));
  });

  it('goes on after a restart where the checkpoint stands, reading nothing twice', async () => {
    const s = setup();
    const file = join(s.dir, 'a.csv');
    writeFileSync(file, cdrLines(0, 100));
    const first = s.start();
    await indexed(s.index, 100);
    await s.stop(first);
    appendFileSync(file, cdrLines(100, 40));
    s.start();
    await indexed(s.index, 140);
    await sleep(300);
    expect(s.index.added).toBe(140);
  });

  it('after a rename rotation while stopped, goes on in the renamed file and reads the new one', async () => {
    const s = setup();
    const file = join(s.dir, 'cdr.log');
    writeFileSync(file, cdrLines(0, 100));
    const first = s.start({ source: genericSource(s.dir, 'cdr.log*') });
    await indexed(s.index, 100);
    await s.stop(first);
    appendFileSync(file, cdrLines(100, 20));
    renameSync(file, `${file}.1`);
    writeFileSync(file, cdrLines(120, 30));
    s.start({ source: genericSource(s.dir, 'cdr.log*') });
    await indexed(s.index, 150);
    await sleep(300);
    expect(s.index.added).toBe(150);
    expect(await foundCounts(s.index, 0, 150)).toEqual(Array(150).fill(1));
  });

  it('after copytruncate, goes on in the copy where the original stopped and reads the truncated file from its start', async () => {
    const s = setup();
    const file = join(s.dir, 'cdr.log');
    writeFileSync(file, cdrLines(0, 100));
    const first = s.start({ source: genericSource(s.dir, 'cdr.log*') });
    await indexed(s.index, 100);
    await s.stop(first);
    appendFileSync(file, cdrLines(100, 20));
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, cdrLines(120, 30));
    const { log, lines } = capturedLog();
    s.start({ source: genericSource(s.dir, 'cdr.log*'), log });
    await indexed(s.index, 150);
    await sleep(300);
    expect(s.index.added).toBe(150);
    expect(await foundCounts(s.index, 0, 150)).toEqual(Array(150).fill(1));
    expect(lines.some((l) => l['msg'] === 'CDR file is a copy of one read before: going on from there' && l['copyOf'] === 'cdr.log')).toBe(true);
  });

  it('after copytruncate, finds where the copy goes on even when the truncated file was read again first', async () => {
    const s = setup();
    const file = join(s.dir, 'cdr.log');
    writeFileSync(file, cdrLines(0, 100));
    const first = s.start({ source: genericSource(s.dir, 'cdr.log*') });
    await indexed(s.index, 100);
    await s.stop(first);
    appendFileSync(file, cdrLines(100, 20));
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, cdrLines(120, 30));
    // The truncated file is older, so it is read first, and its new content is acknowledged (small batches)
    // before the copy is looked at.
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    s.start({ source: genericSource(s.dir, 'cdr.log*'), tuning: { ...TEST_TUNING, batchRecords: 5 } });
    await indexed(s.index, 150);
    await sleep(300);
    expect(s.index.added).toBe(150);
    expect(await foundCounts(s.index, 0, 150)).toEqual(Array(150).fill(1));
  });

  it('reads a file truncated while followed from its start again', async () => {
    const s = setup();
    const file = join(s.dir, 'a.csv');
    writeFileSync(file, cdrLines(0, 50));
    s.start();
    await indexed(s.index, 50);
    truncateSync(file, 0);
    await sleep(150);
    appendFileSync(file, cdrLines(50, 10));
    await indexed(s.index, 60);
    expect(await foundCounts(s.index, 0, 60)).toEqual(Array(60).fill(1));
  });

  it('reads new content written over a file at its inode (a recycled file) from its start', async () => {
    const s = setup();
    const file = join(s.dir, 'a.csv');
    writeFileSync(file, cdrLines(0, 50));
    const first = s.start();
    await indexed(s.index, 50);
    await s.stop(first);
    writeFileSync(file, cdrLines(50, 80)); // same inode, other content, longer than the checkpoint
    s.start();
    await indexed(s.index, 130);
    await sleep(300);
    expect(s.index.added).toBe(130);
    expect(await foundCounts(s.index, 50, 80)).toEqual(Array(80).fill(1));
  });

  it('reads .gz files, and does not read a compressed copy of a file it read before again', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'old.csv.gz'), gzipSync(cdrLines(0, 200)));
    writeFileSync(join(s.dir, 'b.csv'), cdrLines(200, 30));
    const first = s.start();
    await indexed(s.index, 230);
    await s.stop(first);
    appendFileSync(join(s.dir, 'b.csv'), cdrLines(230, 10));
    // logrotate's compress: the .gz of b.csv replaces it, with lines the tailer has not read yet.
    writeFileSync(join(s.dir, 'b.csv.1.gz'), gzipSync(cdrLines(200, 40)));
    unlinkSync(join(s.dir, 'b.csv'));
    s.start();
    await indexed(s.index, 240);
    await sleep(300);
    expect(s.index.added).toBe(240);
    expect(await foundCounts(s.index, 0, 240)).toEqual(Array(240).fill(1));
  });

  it('leaves a .gz that is still being written until it is complete', async () => {
    const s = setup();
    const gz = gzipSync(cdrLines(0, 500));
    const file = join(s.dir, 'c.csv.gz');
    writeFileSync(file, gz.subarray(0, gz.length >> 1));
    const { log, lines } = capturedLog();
    s.start({ log });
    await waitUntil('the cut-short .gz was tried', () => lines.some((l) => l['msg'] === 'cannot decompress CDR file: tried again when it changes'));
    const partly = s.index.added;
    appendFileSync(file, gz.subarray(gz.length >> 1));
    await indexed(s.index, 500);
    await sleep(300);
    expect(partly).toBeLessThan(500);
    expect(s.index.added).toBe(500);
    expect(await foundCounts(s.index, 0, 500)).toEqual(Array(500).fill(1));
  });

  it('reads non-UTF-8 bytes as latin1 without throwing', async () => {
    const s = setup();
    const line = Buffer.from(cdrLine(0).replace('TG_0', 'TG_\u00e9\u00ff'), 'latin1');
    writeFileSync(join(s.dir, 'a.csv'), Buffer.concat([line, Buffer.from(cdrLine(1))]));
    s.start();
    await indexed(s.index, 2);
    const [record] = await s.index.lookup(called(0), atOf(0) - 1000, atOf(0) + 1000);
    expect(record?.ingress.trunkGroup).toBe('TG_\u00e9\u00ff');
  });

  it('skips a malformed line, counts it and logs its file and line, and reads on', async () => {
    const s = setup();
    const metrics = new Registry();
    const file = join(s.dir, 'a.csv');
    writeFileSync(file, cdrLines(0, 3) + 'c3,yesterday,+13125550003,+12025550100,TG_0,203.0.113.3\n' + cdrLines(4, 3));
    s.start({ metrics });
    await indexed(s.index, 6);
    const warning = s.lines.find((l) => l['msg'] === 'malformed CDR line skipped');
    expect(warning).toMatchObject({ file, line: 4, reason: 'field 2 (time): "yesterday" is not epoch milliseconds' });
    expect(await foundCounts(s.index, 4, 3)).toEqual([1, 1, 1]);
    await waitUntil('the rejection is counted', async () => (await metricValue(metrics, 'hoptrace_cdr_records_rejected_total')) === 1);
    expect(await metricValue(metrics, 'hoptrace_cdr_records_read_total')).toBe(6);
    expect(await metricValue(metrics, 'hoptrace_cdr_records_indexed_total')).toBe(6);
  });

  it('logs at most the configured number of malformed lines per file, and counts them all', async () => {
    const s = setup();
    const metrics = new Registry();
    writeFileSync(join(s.dir, 'a.csv'), 'junk\n'.repeat(20) + cdrLine(0));
    s.start({ metrics, tuning: { ...TEST_TUNING, maxLoggedErrorsPerFile: 5 } });
    await indexed(s.index, 1);
    expect(s.lines.filter((l) => l['msg'] === 'malformed CDR line skipped').map((l) => l['line'])).toEqual([1, 2, 3, 4, 5]);
    expect(s.lines.filter((l) => l['msg'] === 'more malformed lines in this file: counted, no longer logged')).toHaveLength(1);
    expect(await metricValue(metrics, 'hoptrace_cdr_records_rejected_total')).toBe(20);
  });

  it('skips a line longer than the limit as a line error and reads on', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'a.csv'), cdrLine(0) + 'x'.repeat(5000) + '\n' + cdrLine(1));
    s.start({ tuning: { ...TEST_TUNING, chunkBytes: 512, maxUnitBytes: 1024 } });
    await indexed(s.index, 2);
    expect(s.lines.find((l) => l['msg'] === 'malformed CDR line skipped')).toMatchObject({ line: 2, reason: 'longer than 1024 bytes without an end: skipped' });
  });

  it('reads only the files its pattern names, and not dot files', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'a.ACT'), cdrLines(0, 5));
    writeFileSync(join(s.dir, 'a.txt'), cdrLines(5, 5));
    writeFileSync(join(s.dir, '.b.ACT'), cdrLines(10, 5));
    s.start({ source: genericSource(s.dir, '*.ACT') });
    await indexed(s.index, 5);
    await sleep(300);
    expect(s.index.added).toBe(5);
    expect(await foundCounts(s.index, 0, 15)).toEqual([...Array(5).fill(1), ...Array(10).fill(0)]);
  });

  it('finds new lines by polling alone when filesystem events never come (NFS)', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'a.csv'), cdrLines(0, 5));
    s.start({ tuning: { ...TEST_TUNING, eventDelayMs: 600_000 } });
    await indexed(s.index, 5);
    appendFileSync(join(s.dir, 'a.csv'), cdrLines(5, 5));
    await indexed(s.index, 10);
  });

  it('finds new lines through filesystem events, long before the next poll', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'a.csv'), cdrLines(0, 5));
    s.start({ tuning: { ...TEST_TUNING, pollMs: 600_000 } });
    await indexed(s.index, 5);
    appendFileSync(join(s.dir, 'a.csv'), cdrLines(5, 5));
    writeFileSync(join(s.dir, 'b.csv'), cdrLines(10, 5));
    await waitUntil('the new lines are indexed', () => s.index.added === 15, 5000);
  });

  it('waits for a directory that does not exist yet, not ready until it can read it', async () => {
    const s = setup();
    const dir = join(s.dir, 'later');
    const t = s.start({ source: genericSource(dir) });
    await sleep(200);
    expect(t.ready()).toBe(false);
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.csv'), cdrLines(0, 10));
    await indexed(s.index, 10);
    expect(t.ready()).toBe(true);
    rmSync(dir, { recursive: true });
    await waitUntil('the tailer notices the directory is gone', () => !t.ready());
  });
});

describe('CDR tailer: XML formats', () => {
  const call = metaswitchCall;
  const header = METASWITCH_HEADER;

  it('indexes the record elements of a growing Metaswitch file as each one completes', async () => {
    const s = setup();
    const file = join(s.dir, 'cfs-billing-1.xml');
    const second = call(1);
    writeFileSync(file, header + call(0) + second.slice(0, 60));
    s.start({ source: { format: 'metaswitch', dir: s.dir, zone: 'UTC', options: {} } });
    await indexed(s.index, 1);
    await sleep(300);
    expect(s.index.added).toBe(1);
    appendFileSync(file, second.slice(60) + call(2) + '</CDRs></File>\n');
    await indexed(s.index, 3);
    expect(await foundCounts(s.index, 0, 3)).toEqual([1, 1, 1]);
    const [record] = await s.index.lookup(called(2), atOf(2) - 1000, atOf(2) + 1000);
    expect(record).toMatchObject({ source: 'cdr:metaswitch', ingress: { trunkGroup: 'Carrier A' } });
  });

  it('reports a bad record element with the line it starts on in the file', async () => {
    const s = setup();
    const bad = call(1).replace(String(atOf(1)), 'soon');
    writeFileSync(join(s.dir, 'cfs-billing-2.xml'), header + call(0) + bad + call(2) + '</CDRs></File>\n');
    s.start({ source: { format: 'metaswitch', dir: s.dir, zone: 'UTC', options: {} } });
    await indexed(s.index, 2);
    expect(s.lines.find((l) => l['msg'] === 'malformed CDR line skipped')).toMatchObject({ line: 4, reason: 'IcSeizeTime: "soon" is not epoch milliseconds' });
  });

  it('reads a one-document-per-call file (FreeSWITCH mod_xml_cdr) once it has settled', async () => {
    const s = setup();
    const seconds = Math.floor(atOf(0) / 1000);
    const doc =
      `<?xml version="1.0"?>\n<cdr><channel_data><direction>inbound</direction></channel_data><variables><direction>inbound</direction>` +
      `<sip_network_ip>203.0.113.40</sip_network_ip><start_epoch>${seconds}</start_epoch></variables><callflow profile_index="1"><caller_profile>` +
      `<caller_id_number>+13125550117</caller_id_number><destination_number>${called(0)}</destination_number></caller_profile></callflow></cdr>\n`;
    const file = join(s.dir, 'a_1.cdr.xml');
    writeFileSync(file, doc.slice(0, 100));
    s.start({ source: { format: 'freeswitch-xml', dir: s.dir, zone: 'UTC', options: {} }, tuning: { ...TEST_TUNING, settleMs: 400 } });
    await sleep(150);
    appendFileSync(file, doc.slice(100)); // written in two steps: read only once it stopped changing
    await indexed(s.index, 1);
    expect(s.lines.filter((l) => l['msg'] === 'malformed CDR line skipped')).toEqual([]);
    expect(await s.index.lookup(called(0), seconds * 1000 - 1000, seconds * 1000 + 1000)).toMatchObject([
      { calling: '+13125550117', source: 'cdr:freeswitch-xml', ingress: { ip: '203.0.113.40' } },
    ]);
  });
});

describe('CDR tailer: when the store is down', () => {
  it('pauses reading with bounded memory, retries, and indexes every record exactly once when the store is back', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'a.csv'), cdrLines(0, 20_000));
    const metrics = new Registry();
    s.index.down = true;
    s.start({ metrics, tuning: { ...TEST_TUNING, batchRecords: 1000, chunkBytes: 16 * 1024 } });
    await waitUntil('adds are being retried', () => s.index.failedAdds >= 3);
    await sleep(300);
    // One batch in the store's hands and the next one full, each at most one read chunk (~250 lines) over.
    const read = await metricValue(metrics, 'hoptrace_cdr_records_read_total');
    expect(read).toBeGreaterThanOrEqual(1000);
    expect(read).toBeLessThanOrEqual(2 * (1000 + 250));
    expect(s.index.added).toBe(0);
    expect(s.lines.filter((l) => l['msg'] === 'store unavailable: CDR reading pauses, the batch is retried')).toHaveLength(1);
    s.index.down = false;
    await indexed(s.index, 20_000);
    await sleep(300);
    expect(s.index.added).toBe(20_000);
    expect(await foundCounts(s.index, 0, 20_000)).toEqual(Array(20_000).fill(1));
    expect(s.lines.some((l) => l['msg'] === 'store is back: CDR ingestion resumes')).toBe(true);
  });

  it('advances no checkpoint while the store is down, so a restart reads the unindexed records again', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'a.csv'), cdrLines(0, 100));
    const first = s.start();
    await indexed(s.index, 100);
    s.index.down = true;
    appendFileSync(join(s.dir, 'a.csv'), cdrLines(100, 50));
    await waitUntil('adds are being retried', () => s.index.failedAdds >= 2);
    await s.stop(first);
    const [checkpoint] = await s.checkpoints.load(first.source);
    expect(checkpoint?.offset).toBe(cdrLines(0, 100).length);
    s.index.down = false;
    s.start();
    await indexed(s.index, 150);
    expect(await foundCounts(s.index, 0, 150)).toEqual(Array(150).fill(1));
  });
});

describe('CDR tailer: metrics and configuration', () => {
  it('reports files followed and the lag behind the newest file', async () => {
    const s = setup();
    const metrics = new Registry();
    writeFileSync(join(s.dir, 'a.csv'), cdrLines(0, 10));
    s.index.down = true;
    s.start({ metrics });
    await waitUntil('adds are being retried', () => s.index.failedAdds >= 1);
    await sleep(1100);
    expect(await metricValue(metrics, 'hoptrace_cdr_files_followed')).toBe(1);
    expect(await metricValue(metrics, 'hoptrace_cdr_lag_seconds')).toBeGreaterThanOrEqual(1);
    s.index.down = false;
    await indexed(s.index, 10);
    await waitUntil('the lag is back to 0', async () => (await metricValue(metrics, 'hoptrace_cdr_lag_seconds')) === 0);
  });

  it('refuses a source whose format is unknown or whose options do not fit the format, naming the setting', () => {
    const s = setup();
    expect(() => s.start({ source: { format: 'csv', dir: s.dir, zone: 'UTC', options: {} } })).toThrow('format: no CDR reader named "csv"');
    expect(() => s.start({ source: { format: 'generic', dir: s.dir, zone: 'UTC', options: { columns: { calling: 1 } } } })).toThrow(
      /^options\.columns\.called: /,
    );
  });

  it('fails the agent start on a source it cannot read as configured, naming the setting', async () => {
    const s = setup();
    const sources = [genericSource(s.dir), { format: 'generic', dir: s.dir, zone: 'UTC', options: { columns: { calling: 1 } } }];
    const start = () => startCdrSources({ sources, redisUrl: undefined, agent: 'carrier-a', index: s.index, metrics: new Registry(), log: s.log });
    expect(start).toThrow(/^config error at cdr\[1\]\.options\.columns\.called: /);
    const good = startCdrSources({ sources: sources.slice(0, 1), redisUrl: undefined, agent: 'carrier-a', index: s.index, metrics: new Registry(), log: s.log });
    writeFileSync(join(s.dir, 'a.csv'), cdrLines(0, 3));
    await waitUntil('the source is ready', () => good.ready());
    await indexed(s.index, 3);
    await good.stop();
  });
});

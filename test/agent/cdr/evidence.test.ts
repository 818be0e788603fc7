import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { answerQuery, type EvidencedMatch } from '../../../agent/answer.js';
import { createMemoryCallIndex } from '../../../agent/calls/memory-index.js';
import type { CallRecord } from '../../../agent/calls/record.js';
import { MemoryCheckpointStore } from '../../../agent/cdr/checkpoints.js';
import { cdrEvidence, inflateBudget, readEvidence } from '../../../agent/cdr/evidence.js';
import { fileKey } from '../../../agent/cdr/identity.js';
import { metaswitch } from '../../../agent/cdr/metaswitch.js';
import { parseSegment } from '../../../agent/cdr/segment.js';
import { startCdrTailer, type CdrSourceSettings, type CdrTailer } from '../../../agent/cdr/tailer.js';
import { IngressMap } from '../../../agent/ingress.js';
import type { HopQuery } from '../../../proto/messages.js';
import { atOf, called, kamailioLine, METASWITCH_HEADER, metaswitchCall, removeTempDirs, tempDir, TEST_TUNING, waitUntil } from './tailer-harness.js';

const running: CdrTailer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});
afterAll(removeTempDirs);

const sha256 = (text: string) => createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex');

/**
 * Reads `files` of a kamailio source through a tailer into a memory index; the records of calls 0..count-1, read
 * back from the index. The tailer is stopped then: what a test does to the files after is rotation, not input.
 */
async function indexed(dir: string, count: number): Promise<{ source: CdrSourceSettings; records: CallRecord[] }> {
  const source: CdrSourceSettings = { format: 'kamailio', dir, zone: 'UTC', options: {} };
  const index = createMemoryCallIndex({ retentionDays: 30, bucketSec: 3600 });
  const tailer = startCdrTailer({ source, index, checkpoints: new MemoryCheckpointStore(), log: pino({ level: 'silent' }), tuning: TEST_TUNING });
  running.push(tailer);
  const records: CallRecord[] = [];
  await waitUntil('every call is indexed', async () => {
    records.length = 0;
    for (let i = 0; i < count; i++) records.push(...(await index.lookup(called(i), atOf(i) - 2000, atOf(i) + 2000)));
    return records.length === count;
  });
  running.splice(running.indexOf(tailer), 1);
  await tailer.stop();
  return { source, records };
}

const identity = (file: string) => fileKey(statSync(file, { bigint: true }));

describe('CDR evidence', () => {
  it('keeps the file and byte offset of each record, and reads back its raw line, verified, with its sha256', async () => {
    const dir = tempDir();
    const file = join(dir, 'kamailio.log');
    // A syslog line that is not a call first: offsets count every byte before a record's line.
    writeFileSync(file, `Nov 28 19:00:00 sbc1 kernel: eth0 up\n${kamailioLine(0)}${kamailioLine(1)}`);
    appendFileSync(file, kamailioLine(2));
    const { source, records } = await indexed(dir, 3);
    const text = readFileSync(file, 'latin1');
    for (const [i, r] of records.entries()) {
      const line = kamailioLine(i).slice(0, -1);
      expect(r.evidence).toEqual({ file, offset: text.indexOf(line), fileKey: identity(file) });
      expect(await readEvidence(r, [source])).toEqual({ file, offset: text.indexOf(line), sha256: sha256(line), text: line, verified: true });
    }
  });

  it('says the line is no longer the call when the file was replaced, and that it is gone when it was deleted', async () => {
    const dir = tempDir();
    const file = join(dir, 'kamailio.log');
    writeFileSync(file, kamailioLine(0) + kamailioLine(1));
    const { source, records } = await indexed(dir, 2);
    const [first, second] = records as [CallRecord, CallRecord];
    writeFileSync(file, kamailioLine(1) + kamailioLine(0));
    expect(await readEvidence(first, [source])).toMatchObject({ verified: false });
    unlinkSync(file);
    expect(await readEvidence(second, [source])).toEqual({
      file,
      offset: second.evidence?.offset,
      missing: 'the file is gone (rotated away or deleted), and no rotated name in its directory holds the call',
    });
    expect(await readEvidence(first, [])).toMatchObject({ missing: 'no configured CDR source reads this file' });
    expect(await readEvidence({ ...first, evidence: undefined }, [source])).toBeUndefined();
  });

  it('reads the line of a record from a .gz file at its offset in the decompressed content', async () => {
    const dir = tempDir();
    const file = join(dir, 'kamailio.log.gz');
    writeFileSync(file, gzipSync(kamailioLine(0) + kamailioLine(1)));
    const { source, records } = await indexed(dir, 2);
    expect(await readEvidence(records[1] as CallRecord, [source])).toMatchObject({ offset: kamailioLine(0).length, text: kamailioLine(1).slice(0, -1), verified: true });
  });

  it('gives each XML record the byte offset of its element, counting multi-byte characters as their bytes', () => {
    const doc = `${METASWITCH_HEADER}<!-- Zürich -->\n${metaswitchCall(0)}${metaswitchCall(1)}</CDRs></File>`;
    const parsed = metaswitch.parseDocument?.(doc, { file: 'x.xml', zone: 'UTC', options: {} });
    const bytes = Buffer.from(doc, 'utf8');
    expect(parsed?.offsets).toEqual([bytes.indexOf(metaswitchCall(0)), bytes.indexOf(metaswitchCall(1))]);
    expect(parsed?.offsets[0]).toBe(doc.indexOf(metaswitchCall(0)) + 1); // ü is two bytes
  });

  it('reads back the element of an XML file that is not UTF-8 as ISO-8859-1, as the tailer read it, verified', async () => {
    const dir = tempDir();
    const file = join(dir, 'cfs-billing-0000170.xml');
    const second = metaswitchCall(1).replace('Carrier A', 'Carri\u00e8r \u00c4');
    const bytes = Buffer.from(`${METASWITCH_HEADER}${metaswitchCall(0)}${second}</CDRs></File>\n`, 'latin1');
    writeFileSync(file, bytes);
    const source: CdrSourceSettings = { format: 'metaswitch', dir, zone: 'UTC', options: {} };
    const segment = parseSegment(metaswitch, { file, zone: 'UTC', options: {} }, bytes, 1);
    const record = { ...(segment.records[1] as CallRecord), evidence: { file, offset: segment.offsets[1] as number } };
    expect(record.ingress).toEqual({ trunkGroup: 'Carri\u00e8r \u00c4' });
    expect(await readEvidence(record, [source])).toMatchObject({ file, text: second.trimEnd(), verified: true });
  });

  it('puts the evidence into hop answer matches as the site discloses it: hash by default, the line on request, or none', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'kamailio.log'), kamailioLine(0));
    const { source, records } = await indexed(dir, 1);
    const q: HopQuery = {
      queryId: 'q1', tracebackId: 't1', askedBy: null, deadline: new Date(Date.now() + 60_000).toISOString(),
      call: { calling: '+13125550117', called: called(0), at: new Date(atOf(0)).toISOString(), windowSec: 120 },
    };
    const ctx = { provider: 'p1', now: Date.now(), ingress: new IngressMap([]) };
    const answer = async (disclose: 'none' | 'hash' | 'line' | undefined) => {
      const evidence = await cdrEvidence(records, [source], disclose);
      return (answerQuery(q, { ok: true, records, evidence }, { ...ctx, ...(disclose && { evidence: disclose }) }).matches[0] as EvidencedMatch).evidence;
    };
    const line = kamailioLine(0).slice(0, -1);
    expect(await answer(undefined)).toEqual({ file: 'kamailio.log', offset: 0, sha256: sha256(line), verified: true });
    expect(await answer('line')).toEqual({ file: 'kamailio.log', offset: 0, sha256: sha256(line), verified: true, line });
    expect(await answer('none')).toBeUndefined();
  });
  it('finds a file rotated to another name in its directory, verified there, and answers with where it is now', async () => {
    const dir = tempDir();
    const file = join(dir, 'kamailio.log');
    writeFileSync(file, kamailioLine(0) + kamailioLine(1));
    const { source, records } = await indexed(dir, 2);
    const second = records[1] as CallRecord;
    renameSync(file, `${file}.1`);
    const line = kamailioLine(1).slice(0, -1);
    const found = { file: `${file}.1`, offset: kamailioLine(0).length, sha256: sha256(line), text: line, verified: true, indexedAs: file };
    expect(await readEvidence(second, [source])).toEqual(found);
    // A record indexed before identities were kept is found by its content alone.
    expect(await readEvidence({ ...second, evidence: { file, offset: found.offset } }, [source])).toEqual(found);
    const q: HopQuery = {
      queryId: 'q1', tracebackId: 't1', askedBy: null, deadline: new Date(Date.now() + 60_000).toISOString(),
      call: { calling: '+13125550117', called: called(1), at: new Date(atOf(1)).toISOString(), windowSec: 120 },
    };
    const evidence = await cdrEvidence([second], [source], 'hash');
    const match = answerQuery(q, { ok: true, records: [second], evidence }, { provider: 'p1', now: Date.now(), ingress: new IngressMap([]) }).matches[0] as EvidencedMatch;
    expect(match.evidence).toEqual({ file: 'kamailio.log.1', indexedAs: 'kamailio.log', offset: found.offset, sha256: sha256(line), verified: true });
  });

  it('finds a rotated file that was compressed since, at its offset in the decompressed content', async () => {
    const dir = tempDir();
    const file = join(dir, 'kamailio.log');
    writeFileSync(file, kamailioLine(0) + kamailioLine(1) + kamailioLine(2));
    const { source, records } = await indexed(dir, 3);
    writeFileSync(`${file}-20261128.gz`, gzipSync(readFileSync(file)));
    unlinkSync(file);
    writeFileSync(`${file}.1.gz`, gzipSync('an unrelated file sharing the name\n'));
    expect(await readEvidence(records[2] as CallRecord, [source])).toMatchObject({
      file: `${file}-20261128.gz`,
      offset: kamailioLine(0).length + kamailioLine(1).length,
      text: kamailioLine(2).slice(0, -1),
      verified: true,
      indexedAs: file,
    });
  });

  it("never takes a new file at the old name for the one read: finds the rotated one, or says the name holds another file", async () => {
    const dir = tempDir();
    const file = join(dir, 'kamailio.log');
    const content = kamailioLine(0) + kamailioLine(1);
    writeFileSync(file, content);
    const { source, records } = await indexed(dir, 2);
    const first = records[0] as CallRecord;
    // Rotated, and a new file with the very same bytes at the name: the evidence is the file that was read.
    renameSync(file, `${file}.1`);
    writeFileSync(file, content);
    expect(await readEvidence(first, [source])).toMatchObject({ file: `${file}.1`, verified: true, indexedAs: file });
    // The rotated one deleted: the new file's line is not reported, though it parses to the same call.
    unlinkSync(`${file}.1`);
    expect(await readEvidence(first, [source])).toEqual({
      file,
      offset: 0,
      missing: 'another file has its name now (rotated or replaced), and no rotated name in its directory holds the call',
    });
  });

  it('finds the copy a copytruncate rotation made when the file itself was truncated and written again', async () => {
    const dir = tempDir();
    const file = join(dir, 'kamailio.log');
    writeFileSync(file, kamailioLine(0) + kamailioLine(1));
    const { source, records } = await indexed(dir, 2);
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, kamailioLine(5) + kamailioLine(6));
    expect(await readEvidence(records[1] as CallRecord, [source])).toMatchObject({ file: `${file}.1`, text: kamailioLine(1).slice(0, -1), verified: true });
  });
});

describe('CDR evidence: bounded .gz inflating', () => {
  it("skips a rotated .gz whose trailer says its content ends before the offset, without inflating it", async () => {
    const dir = tempDir();
    const file = join(dir, 'kamailio.log');
    const content = kamailioLine(0) + kamailioLine(1) + kamailioLine(2);
    writeFileSync(file, content);
    const { source, records } = await indexed(dir, 3);
    unlinkSync(file);
    // An earlier rotation (looked at first: written since the call, oldest first) holds only the first line.
    writeFileSync(`${file}.2.gz`, gzipSync(kamailioLine(0)));
    writeFileSync(`${file}.1.gz`, gzipSync(content));
    const earlier = (Date.now() - 60_000) / 1000;
    utimesSync(`${file}.2.gz`, earlier, earlier);
    const budget = inflateBudget(2 ** 20);
    expect(await readEvidence(records[2] as CallRecord, [source], budget)).toMatchObject({ file: `${file}.1.gz`, text: kamailioLine(2).slice(0, -1), verified: true, indexedAs: file });
    expect(budget.limit - budget.left).toBe(content.length);
  });

  it('inflates no more .gz content per answer than its allowance: a record beyond it is reported missing, saying why', async () => {
    const dir = tempDir();
    const file = join(dir, 'kamailio.log');
    const noise = Array.from({ length: 2000 }, (_, i) => `Nov 28 19:00:00 sbc1 kernel: noise ${i} ${'x'.repeat(80)}\n`).join('');
    writeFileSync(file, kamailioLine(0) + noise + kamailioLine(1));
    const { source, records } = await indexed(dir, 2);
    const [first, second] = records as [CallRecord, CallRecord];
    writeFileSync(`${file}.1.gz`, gzipSync(readFileSync(file)));
    unlinkSync(file);
    const offset = second.evidence?.offset as number;
    const spent = (limit: string) => ({ file, offset, missing: `finding it would inflate more than the ${limit} of .gz content an answer may inflate` });
    const evidence = await cdrEvidence([first, second], [source], 'hash', 64 * 1024);
    expect(evidence.get(first)).toMatchObject({ file: `${file}.1.gz`, verified: true });
    expect(evidence.get(second)).toEqual(spent('65536 bytes'));
    // An allowance that covers the offset but not the chunk holding the line stops inflating there.
    const budget = inflateBudget(offset + 1);
    expect(await readEvidence(second, [source], budget)).toEqual(spent(`${offset + 1} bytes`));
    expect(budget.left).toBeGreaterThanOrEqual(0);
    expect(budget.left).toBeLessThan(budget.limit);
    // The default allowance reads it.
    expect(await readEvidence(second, [source])).toMatchObject({ file: `${file}.1.gz`, text: kamailioLine(1).slice(0, -1), verified: true });
  });
});

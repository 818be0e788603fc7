import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { answerQuery, type EvidencedMatch } from '../../../agent/answer.js';
import { createMemoryCallIndex } from '../../../agent/calls/memory-index.js';
import type { CallRecord } from '../../../agent/calls/record.js';
import { MemoryCheckpointStore } from '../../../agent/cdr/checkpoints.js';
import { cdrEvidence, readEvidence } from '../../../agent/cdr/evidence.js';
import { metaswitch } from '../../../agent/cdr/metaswitch.js';
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

/** Reads `files` of a kamailio source through a tailer into a memory index; the records of calls 0..count-1. */
async function indexed(dir: string, count: number): Promise<{ source: CdrSourceSettings; records: CallRecord[] }> {
  const source: CdrSourceSettings = { format: 'kamailio', dir, zone: 'UTC', options: {} };
  const index = createMemoryCallIndex({ retentionDays: 30, bucketSec: 3600 });
  running.push(startCdrTailer({ source, index, checkpoints: new MemoryCheckpointStore(), log: pino({ level: 'silent' }), tuning: TEST_TUNING }));
  const records: CallRecord[] = [];
  await waitUntil('every call is indexed', async () => {
    records.length = 0;
    for (let i = 0; i < count; i++) records.push(...(await index.lookup(called(i), atOf(i) - 2000, atOf(i) + 2000)));
    return records.length === count;
  });
  return { source, records };
}

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
      expect(r.evidence).toEqual({ file, offset: text.indexOf(line) });
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
    expect(await readEvidence(second, [source])).toEqual({ file, offset: second.evidence?.offset, missing: 'the file is gone (rotated away or deleted)' });
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
});

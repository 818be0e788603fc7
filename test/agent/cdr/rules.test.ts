import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryCallIndex } from '../../../agent/calls/memory-index.js';
import { MemoryCheckpointStore } from '../../../agent/cdr/checkpoints.js';
import { startCdrTailer } from '../../../agent/cdr/tailer.js';
import { atOf, called, kamailioLine, removeTempDirs, tempDir, TEST_TUNING, waitUntil } from './tailer-harness.js';
import { kamailio } from '../../../agent/cdr/kamailio.js';
import { CdrLineError } from '../../../agent/cdr/format.js';
import { numberRules, sourceRules } from '../../../agent/cdr/rules.js';
import { CdrSource } from '../../../config/agent.js';

/** A syslog ACC INVITE with the given caller, callee (as dialled), source IP and trunk extra. */
const acc = (calling: string, called: string, trunk = '') =>
  `Jan  1 00:00:04 sbc1 kamailio[1]: ACC: transaction answered: timestamp=1767225604;method=INVITE;callid=c1@x;` +
  `src_user=${calling};src_ip=203.0.113.40;dst_ouser=${called};trunk=${trunk}`;

function parse(line: string, config: Parameters<typeof sourceRules>[0]) {
  const records = kamailio.parseLine?.(line, 1, { file: 'acc.log', zone: 'UTC', options: { trunkGroup: 'trunk' }, rules: sourceRules(config) });
  if (records === undefined || records instanceof CdrLineError) throw new Error(String(records && records.message));
  return records[0];
}

afterAll(removeTempDirs);

describe('CDR source rules', () => {
  it('reach the records a tailer indexes from the source settings as configured', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'kamailio.log'), kamailioLine(0));
    const index = createMemoryCallIndex({ retentionDays: 30, bucketSec: 3600 });
    const source = CdrSource.parse({ format: 'kamailio', dir, options: { trunkGroup: 'from_tag' }, ingress: { realm: 'sbc-east', trunkGroupPrefix: 'sbc01/' } });
    const tailer = startCdrTailer({ source, index, checkpoints: new MemoryCheckpointStore(), log: pino({ level: 'silent' }), tuning: TEST_TUNING });
    try {
      await waitUntil('the call is indexed', async () => (await index.lookup(called(0), atOf(0) - 2000, atOf(0) + 2000)).length === 1);
      const [record] = await index.lookup(called(0), atOf(0) - 2000, atOf(0) + 2000);
      expect(record?.ingress).toEqual({ ip: '203.0.113.0', trunkGroup: 'sbc01/f0', realm: 'sbc-east' });
    } finally {
      await tailer.stop();
      await index.close();
    }
  });

  it('reads numbers with the source rules, and with a trunk group own rules instead where it has them', () => {
    const config = { numbers: { stripPrefixes: ['A02'], npa: '202' }, trunks: [{ trunkGroup: 'Carrier-B', stripPrefixes: ['3401#'], npa: '312' }] };
    expect(parse(acc('A025550117', 'A025550143', 'carrier-a'), config)).toMatchObject({ calling: '+12025550117', called: '+12025550143' });
    // Trunk names compare case-insensitively; the other trunk's prefix is not stripped from the source default.
    expect(parse(acc('3401#5550117', '3401#5550143', 'CARRIER-B'), config)).toMatchObject({ calling: '+13125550117', called: '+13125550143' });
    expect(parse(acc('3401#5550117', '2025550143', 'carrier-a'), config)).toMatchObject({ calling: '3401#5550117', called: '+12025550143' });
  });

  it('names the ingress for the ingress map: a default realm only where the record has none, and a trunk group prefix', () => {
    const config = { ingress: { realm: 'sbc-east', trunkGroupPrefix: 'sbc01/' } };
    expect(parse(acc('3125550117', '2025550143', 'TG1'), config)?.ingress).toEqual({ ip: '203.0.113.40', trunkGroup: 'sbc01/TG1', realm: 'sbc-east' });
    expect(parse(acc('3125550117', '2025550143'), config)?.ingress).toEqual({ ip: '203.0.113.40', realm: 'sbc-east' });
  });

  it('leaves records as the format reads them when nothing is configured', () => {
    expect(sourceRules({ trunks: [], ingress: {} })).toBeUndefined();
    expect(numberRules(undefined, 'TG1')).toBeUndefined();
    expect(parse(acc('3125550117', '2025550143', 'TG1'), {})?.ingress).toEqual({ ip: '203.0.113.40', trunkGroup: 'TG1' });
  });

  it('refuses a bad rule in the configuration with the path of the field', () => {
    const bad = CdrSource.safeParse({ format: 'kamailio', dir: '/tmp', trunks: [{ trunkGroup: 'TG1', npa: '123' }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['trunks', 0, 'npa']);
    expect(bad.error?.issues[0]?.message).toContain('NANP area code');
    const unknown = CdrSource.safeParse({ format: 'kamailio', dir: '/tmp', ingress: { zone: 'x' } });
    expect(unknown.success).toBe(false);
    expect(unknown.error?.issues[0]?.path).toEqual(['ingress']);
  });
});

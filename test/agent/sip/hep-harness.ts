/** A HEP collector in process on a loopback port the OS picks, deciding with the DNO fixtures, recording to memory. */
import pino from 'pino';
import { Registry } from 'prom-client';
import { type HepCollector, type HepCollectorOptions, startHepCollector } from '../../../agent/sip/hep-collector.js';
import { fixturePolicy } from './policy-harness.js';
import { RecordingIndex } from './recording-index.js';

/** What a test may vary; everything else is the fixed test setup below. */
export type HepHarnessOptions = Pick<HepCollectorOptions, 'identity' | 'allowFrom' | 'authKey' | 'maxConnections' | 'idleMs'>;

export interface HepHarness {
  collector: HepCollector;
  index: RecordingIndex;
  registry: Registry;
  stop(): Promise<void>;
}

export async function startHepHarness(transport: 'udp' | 'tcp', o: HepHarnessOptions = {}): Promise<HepHarness> {
  const index = new RecordingIndex();
  const registry = new Registry();
  const collector = await startHepCollector({
    listen: { transport, host: '127.0.0.1', port: 0 },
    recvBufferBytes: 1024 * 1024,
    policy: fixturePolicy('hep'),
    index,
    registry,
    log: pino({ level: 'silent' }),
    recorder: { flushMs: 10 },
    ...o,
  });
  return { collector, index, registry, stop: async () => { await collector.stop(); await index.close(); } };
}

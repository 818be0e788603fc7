/**
 * The simulator's CDR lines must be what the agent's readers take: each writer's line, read back by the format
 * of the same name with the demo network's options, is the same call (time through the switch's zone, numbers
 * through the trunk's normalisation, ingress as the ingress map expects it).
 */
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../agent/calls/record.js';
import { cdrFormat } from '../../agent/cdr/formats.js';
import { CdrLineError } from '../../agent/cdr/format.js';
import { cdrWriter, type CdrLeg, switchNumber, UnsupportedCdrFormatError, wallClock } from '../../sim/cdr-writers.js';
import { demoNetwork } from '../../sim/network.js';

const read = (format: string, line: string, zone: string, options: Record<string, unknown> = {}): CallRecord[] | CdrLineError => {
  const f = cdrFormat(format)!;
  return f.parseLine!(line, 1, { file: 'sim', zone, options });
};

// A winter and a summer instant: the zone's offset differs, and the reader must undo the right one.
const INSTANTS = [Date.parse('2026-01-15T17:04:05.600Z'), Date.parse('2026-07-04T03:59:59.100Z')];

describe('simulated CDR writers read back by the agent formats', () => {
  for (const p of demoNetwork().providers.filter((x) => x.cdr)) {
    const spec = p.cdr!;
    for (const at of INSTANTS) {
      it(`${spec.format} (${p.id}, ${spec.zone}) keeps the call at ${new Date(at).toISOString()}`, () => {
        const leg: CdrLeg = { at, calling: '+13122640001', called: '+17735550123', ip: '198.51.100.10', trunkGroup: 'TG_VOXNOVA', callId: 'c-1@sim', seq: 7 };
        const out = read(spec.format, cdrWriter(spec.format)(leg, spec.zone), spec.zone, spec.options);
        expect(out).not.toBeInstanceOf(CdrLineError);
        const [r] = out as CallRecord[];
        // Asterisk logs whole seconds, Ribbon tenths; Kamailio and FreeSWITCH keep the milliseconds.
        const resolution = spec.format === 'asterisk' ? 1000 : spec.format === 'ribbon' ? 100 : 1;
        expect(r!.at).toBe(at - (at % resolution));
        expect([r!.calling, r!.called, r!.source]).toEqual(['+13122640001', '+17735550123', `cdr:${spec.format}`]);
        if (spec.format !== 'kamailio') expect(r!.ingress.trunkGroup).toBe('TG_VOXNOVA');
        if (spec.format !== 'asterisk') expect(r!.ingress.ip).toBe('198.51.100.10');
      });
    }
  }

  it('writes NANP numbers the way North American switches log them, others without the plus', () => {
    expect(switchNumber('+13122640001')).toBe('3122640001');
    expect(switchNumber('+447700900123')).toBe('447700900123');
  });

  it('names the local zone abbreviation a Ribbon node writes in field 5', () => {
    expect(wallClock(INSTANTS[0]!, 'America/Chicago').abbr).toBe('CST');
    expect(wallClock(INSTANTS[1]!, 'America/Chicago').abbr).toBe('CDT');
  });

  it('refuses a format it cannot write, naming the ones it can', () => {
    expect(() => cdrWriter('sansay')).toThrow(UnsupportedCdrFormatError);
    expect(() => cdrWriter('sansay')).toThrow(/writes no sansay CDRs \(it writes asterisk, ribbon, kamailio, freeswitch-csv\)/);
  });
});

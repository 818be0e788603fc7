/**
 * Round trip, property-based: any call a simulated switch logs (sim/cdr-writers.ts, the demo network's formats,
 * zones and options) is read back by the agent's format of the same name as the same call — whatever the
 * instant (DST changes included: a repeated local hour gives both candidates), the numbers and the ingress.
 * test/sim/cdr-writers.test.ts checks two fixed instants; this checks hundreds of drawn ones per format.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../agent/calls/record.js';
import { CdrLineError } from '../../agent/cdr/format.js';
import { cdrFormat } from '../../agent/cdr/formats.js';
import { cdrWriter, type CdrLeg } from '../../sim/cdr-writers.js';
import { demoNetwork } from '../../sim/network.js';

/** A NANP number the NANP rules accept: NPA and NXX 2–9 first, not N11, NPA not N9X. */
const nanp = fc
  .tuple(fc.integer({ min: 200, max: 999 }), fc.integer({ min: 200, max: 999 }), fc.integer({ min: 0, max: 9999 }))
  .filter(([npa, nxx]) => npa % 100 !== 11 && nxx % 100 !== 11 && Math.floor(npa / 10) % 10 !== 9)
  .map(([npa, nxx, line]) => `+1${npa}${nxx}${String(line).padStart(4, '0')}`);
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const trunkGroup = fc.stringMatching(/^TG_[A-Z0-9]{1,12}$/);
/** 2020–2035, with weight on the hours around the US and EU DST changes. */
const instant = fc.oneof(
  fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2035-12-31T23:59:59Z') }),
  fc.constantFrom('2026-03-08T08:00:00Z', '2026-11-01T05:00:00Z', '2026-11-01T06:30:00Z', '2026-03-29T01:00:00Z', '2026-10-25T00:30:00Z').chain((t) =>
    fc.integer({ min: -2 * 3_600_000, max: 2 * 3_600_000 }).map((d) => Date.parse(t) + d),
  ),
);

describe('simulated CDR lines read back as the same call, for any call', () => {
  for (const p of demoNetwork().providers.filter((x) => x.cdr)) {
    const spec = p.cdr!;
    const format = cdrFormat(spec.format)!;
    // Asterisk logs whole seconds, Ribbon tenths; Kamailio and FreeSWITCH keep the milliseconds.
    const resolution = spec.format === 'asterisk' ? 1000 : spec.format === 'ribbon' ? 100 : 1;

    it(`${spec.format} (${spec.zone})`, () => {
      fc.assert(
        fc.property(instant, nanp, nanp, ipv4, trunkGroup, fc.nat(1_000_000), (at, calling, called, ip, tg, seq) => {
          const leg: CdrLeg = { at, calling, called, ip, trunkGroup: tg, callId: `c-${seq}@sim`, seq };
          const out = format.parseLine!(cdrWriter(spec.format)(leg, spec.zone), 1, { file: 'sim', zone: spec.zone, options: spec.options ?? {} });
          expect(out).not.toBeInstanceOf(CdrLineError);
          expect(out as CallRecord[]).toHaveLength(1);
          const [r] = out as CallRecord[];
          const expected = at - (at % resolution);
          // A local time in the repeated hour of a DST change names two instants: the reader keeps both.
          expect([r!.at, r!.atAlt]).toContain(expected);
          expect([r!.calling, r!.called, r!.source]).toEqual([calling, called, `cdr:${spec.format}`]);
          if (spec.format !== 'kamailio') expect(r!.ingress.trunkGroup).toBe(tg);
          if (spec.format !== 'asterisk') expect(r!.ingress.ip).toBe(ip);
        }),
        { numRuns: 300 },
      );
    });
  }
});

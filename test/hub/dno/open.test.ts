import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HubConfig } from '../../../config/hub.js';
import { DnoChangeRefused } from '../../../hub/dno/master.js';
import { dnoListMetrics } from '../../../hub/dno/metrics.js';
import { openHubDno } from '../../../hub/dno/open.js';
import { generateKeyPair } from '../../../proto/keys.js';

const open = (emergency?: readonly string[]) =>
  openHubDno({ hubId: 'hub', key: generateKeyPair(), keys: () => [], jti: { remember: async () => true }, ...(emergency && { emergency }) });

describe('the hub\'s DNO list as configured', () => {
  it('emergency codes default to 911 and 112; configured codes are never on the list, in any form', async () => {
    const cfg = HubConfig.parse({});
    expect(cfg.dno.emergency).toEqual(['911', '112']);
    expect(() => HubConfig.parse({ dno: { emergency: ['9-3-3'] } })).toThrow();
    const dno = open(HubConfig.parse({ dno: { emergency: ['911', '112', '933'] } }).dno.emergency);
    const plain = open(cfg.dno.emergency);
    try {
      for (const prefix of ['+193', '+19']) {
        const err = await dno.service.add({ entries: [{ prefix, category: 'listed' }] }, 'ops').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DnoChangeRefused);
        expect((err as DnoChangeRefused).problems[0]?.reason).toMatch(/covers the emergency number \+19(33|11)/);
      }
      const refused = await dno.service.import('+12025550100\n+193*\n', {}, 'ops').catch((e: unknown) => e);
      expect((refused as DnoChangeRefused).problems).toEqual([{ line: 2, text: '+193*', reason: expect.stringMatching(/emergency number \+1933/) }]);
      expect((await dno.service.summary()).version).toBe(0);
      // Without the extra code, +193 is an ordinary prefix.
      await plain.service.add({ entries: [{ prefix: '+193', category: 'listed' }] }, 'ops');
      expect((await plain.service.summary()).version).toBe(1);
    } finally {
      await dno.close();
      await plain.close();
    }
  });

  it('exports the list version and entries per category to Prometheus', async () => {
    const dno = open();
    const registry = new Registry();
    dnoListMetrics(registry, dno.service);
    try {
      await dno.service.import('+12025550100\n+12025550101,unassigned\n+1900*\n', {}, 'ops');
      await dno.service.add({ entries: [{ number: '+12025550102', category: 'invalid' }] }, 'ops');
      const text = await registry.metrics();
      expect(text).toMatch(/^hoptrace_hub_dno_list_version 2$/m);
      expect(text).toMatch(/^hoptrace_hub_dno_list_entries\{category="listed"\} 2$/m);
      expect(text).toMatch(/^hoptrace_hub_dno_list_entries\{category="unassigned"\} 1$/m);
      expect(text).toMatch(/^hoptrace_hub_dno_list_entries\{category="invalid"\} 1$/m);
      expect(text).toMatch(/^hoptrace_hub_dno_list_entries\{category="unallocated"\} 0$/m);
    } finally {
      await dno.close();
    }
  });
});

/** Reading DNO blocking counts from an agent's Prometheus text (sim/metrics.ts). */
import { describe, expect, it } from 'vitest';
import { parseBlockCounts } from '../../sim/metrics.js';

describe('parseBlockCounts', () => {
  it('sums INVITEs over sources and counts blocks by DNO category', () => {
    const text = [
      '# HELP hoptrace_sip_invites_total INVITEs decided',
      '# TYPE hoptrace_sip_invites_total counter',
      'hoptrace_sip_invites_total{source="sip",action="continue",category="none"} 9',
      'hoptrace_sip_invites_total{source="sip",action="block",category="listed"} 3',
      'hoptrace_sip_invites_total{source="hep",action="block",category="invalid"} 1',
      'hoptrace_sip_invites_total{source="sip",action="monitor",category="unassigned"} 2',
      'hoptrace_sip_requests_total{source="sip",method="INVITE"} 15',
    ].join('\n');
    expect(parseBlockCounts(text)).toEqual({ invites: 15, blocked: 4, blockedBy: { listed: 3, invalid: 1 } });
  });

  it('reads no counter as nothing decided', () => {
    expect(parseBlockCounts('# no SIP source here\nprocess_cpu_seconds_total 1\n')).toEqual({ invites: 0, blocked: 0, blockedBy: {} });
  });
});

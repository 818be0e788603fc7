import { describe, expect, it } from 'vitest';
import { attestationOf, signsAs } from '../../hub/shaken.js';
import type { HopAnswer, IdentityInfo } from '../../proto/messages.js';

function answerWith(...identities: (IdentityInfo | undefined)[]): HopAnswer {
  return {
    queryId: 'q1',
    tracebackId: 'c1',
    provider: 'term',
    result: 'upstream',
    matches: identities.map((identity) => ({
      at: '2026-11-28T11:59:00Z',
      calling: '+13125550117',
      called: '+12025550143',
      source: 'sip',
      ingress: {},
      upstream: { providerId: 'transit', name: 'Transit' },
      ...(identity && { identity }),
    })),
    answeredAt: '2026-11-28T12:00:00Z',
    agentVersion: 'test',
  };
}

describe('SHAKEN attestation of an answer', () => {
  it('takes the first verified A or B attestation with a signer, best match first', () => {
    const a = answerWith(undefined, { attest: 'C', signer: '1A', verified: true }, { attest: 'B', signer: '2B', verified: true }, { attest: 'A', signer: '3C', verified: true });
    expect(attestationOf(a)).toEqual({ signer: '2B', attest: 'B' });
  });

  it('finds none when every attestation is unverified, C, or unsigned', () => {
    expect(attestationOf(answerWith({ attest: 'A', signer: '1A', verified: false }, { attest: 'A', verified: true }, { attest: 'C', signer: '1A', verified: true }))).toBeUndefined();
    expect(attestationOf(answerWith())).toBeUndefined();
  });

  it('maps a signer to a provider by SPC or OCN, in any case and spacing', () => {
    expect(signsAs({ spc: '123a' }, ' 123A ')).toBe(true);
    expect(signsAs({ ocn: '4D2F' }, '4d2f')).toBe(true);
    expect(signsAs({ spc: '123A', ocn: '4D2F' }, '999Z')).toBe(false);
    expect(signsAs({}, '123A')).toBe(false);
  });
});

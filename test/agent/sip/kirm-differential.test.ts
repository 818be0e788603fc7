/**
 * Differential test against the kirm `sip` package (0.0.6): on a few thousand varied, valid INVITEs
 * both parsers must read the same From/To user and tag, PAI URIs, Call-ID, CSeq, Via count and branches.
 */
import sip, { type KirmMessage } from 'sip';
import { describe, expect, it } from 'vitest';
import { parseSip, type SipMessage } from '../../../agent/sip/parser.js';
import { inviteGenerator } from './invite-generator.js';

const COUNT = 3000;
const SEED = 4475;

function ours(m: SipMessage) {
  return {
    from: [m.from()?.uri.user, m.from()?.params.get('tag')],
    to: [m.to()?.uri.user, m.to()?.params.get('tag')],
    pai: m.pai().map((p) => p.uri.raw),
    callId: m.callId(),
    cseq: m.cseq(),
    vias: m.via().map((v) => v.branch),
  };
}

/** kirm joins repeated PAI lines with ','; its own name-addr parser walks the joined value. */
function kirmPai(value: string | undefined): string[] {
  const uris: string[] = [];
  const data = { s: value ?? '', i: 0 };
  while (data.i < data.s.length) {
    uris.push(sip.parseAOR(data).uri);
    const comma = /^\s*,\s*/.exec(data.s.slice(data.i));
    if (!comma) break;
    data.i += comma[0].length;
  }
  return uris;
}

function theirs(m: KirmMessage) {
  const h = m.headers;
  return {
    from: [h.from && sip.parseUri(h.from.uri)?.user, h.from?.params.tag],
    to: [h.to && sip.parseUri(h.to.uri)?.user, h.to?.params.tag],
    pai: kirmPai(h['p-asserted-identity']),
    callId: h['call-id'],
    cseq: h.cseq,
    vias: (h.via ?? []).map((v) => v.params.branch),
  };
}

describe('parseSip against kirm sip 0.0.6', () => {
  it(`reads the same values from ${COUNT} generated INVITEs (seed ${SEED})`, () => {
    const next = inviteGenerator(SEED);
    let withPai = 0;
    let multiVia = 0;
    for (let i = 0; i < COUNT; i++) {
      const text = next();
      const r = parseSip(Buffer.from(text, 'latin1'));
      const kirm = sip.parse(text);
      expect(r.ok ? 'accepted' : `#${i}: ${r.error.code} ${r.error.reason}\n${text}`).toBe('accepted');
      expect(kirm, `#${i}: kirm rejected\n${text}`).toBeDefined();
      if (!r.ok || !kirm) continue;
      const a = ours(r.msg);
      expect(a, `#${i}\n${text}`).toEqual(theirs(kirm));
      if (a.pai.length > 0) withPai++;
      if (a.vias.length > 1) multiVia++;
    }
    // The generator exercised the interesting cases, not just the plain ones.
    expect(withPai).toBeGreaterThan(COUNT / 2);
    expect(multiVia).toBeGreaterThan(COUNT / 2);
  });
});

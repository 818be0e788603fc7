/** A message dripped over TCP costs work linear in its size (agent/sip/tcp-partial.ts with the framer in tcp.ts). */
import { describe, expect, it } from 'vitest';
import { frameMessage } from '../../../agent/sip/tcp.js';
import { PartialMessage } from '../../../agent/sip/tcp-partial.js';

const MAX = 64 * 1024;

/** An INVITE of about `bytes`, half padding headers and half body. */
function message(bytes: number): Buffer {
  const body = 'b'.repeat(bytes / 2);
  const padding = Array.from({ length: Math.floor(bytes / 2 / 100) }, (_, i) => `X-Pad-${i}: ${'p'.repeat(88)}`);
  const head = ['INVITE sip:+12025550143@127.0.0.1 SIP/2.0', 'Call-ID: drip', ...padding, `Content-Length: ${body.length}`, '', ''];
  return Buffer.from(head.join('\r\n') + body, 'latin1');
}

/** Feeds `msg` one byte per read as the listener does; the work done and the message framed at the end. */
function drip(msg: Buffer): { scanned: number; framed: Buffer } {
  let partial = new PartialMessage(msg.subarray(0, 1));
  let scanned = partial.scanned;
  for (let i = 1; i < msg.length; i++) {
    partial.push(msg.subarray(i, i + 1));
    if (!partial.ready(MAX)) continue;
    const buf = partial.join();
    const frame = frameMessage(buf, 0, MAX);
    scanned += partial.scanned + buf.length; // frameMessage searches the joined bytes once more
    if ('end' in frame && !('wait' in frame) && !('fault' in frame)) return { scanned, framed: buf.subarray(0, frame.end) };
    if (!('wait' in frame)) throw new Error(`unexpected frame ${JSON.stringify(frame)}`);
    partial = new PartialMessage(buf, frame.end);
  }
  throw new Error('message never framed');
}

describe('PartialMessage', () => {
  it('frames a 64 KiB message dripped one byte per read with work linear in its size', () => {
    const small = message(16 * 1024);
    const large = message(60 * 1024);
    const a = drip(small);
    const b = drip(large);
    expect([a.framed.equals(small), b.framed.equals(large)]).toEqual([true, true]);
    // Each 1-byte read is searched with the 3 bytes before it (and the 3 after, none here): ≤ 5 bytes per byte
    // of headers, plus the joined header section searched once more. Re-searching everything held on each
    // read would be ≈ n²/2 (≈ 450 M bytes for the headers of the large one).
    expect(b.scanned).toBeLessThan(7 * large.length);
    expect(b.scanned / a.scanned).toBeLessThan(1.2 * (large.length / small.length));
  });

  it('finds a header end split across reads at every position', () => {
    const msg = Buffer.from('OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n', 'latin1');
    const end = msg.length - 4;
    for (let cut = end - 3; cut <= end + 3; cut++) {
      const partial = new PartialMessage(msg.subarray(0, cut - 2));
      partial.push(msg.subarray(cut - 2, cut));
      expect(partial.ready(MAX)).toBe(cut >= end + 4);
      partial.push(msg.subarray(cut));
      expect(partial.ready(MAX)).toBe(true);
      expect(partial.join().equals(msg)).toBe(true);
    }
  });

  it('waits for a known body end without searching the body, and reports a header section past the cap', () => {
    const body = new PartialMessage(Buffer.from('INVITE x\r\n\r\nab', 'latin1'), 21);
    body.push(Buffer.from('\r\n\r\ncd', 'latin1'));
    expect([body.ready(MAX), body.scanned]).toEqual([false, 0]);
    body.push(Buffer.from('e', 'latin1'));
    expect(body.ready(MAX)).toBe(true);

    const endless = new PartialMessage(Buffer.from('INVITE sip:x SIP/2.0\r\nX: ', 'latin1'));
    for (let i = 0; i < 10 && !endless.ready(64); i++) endless.push(Buffer.from('a'.repeat(10), 'latin1'));
    expect(endless.ready(64)).toBe(true);
    expect(frameMessage(endless.join(), 0, 64)).toEqual({ fault: 'oversize' });
  });
});

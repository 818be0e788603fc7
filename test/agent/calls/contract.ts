/**
 * The call index contract (agent/calls/store.ts), run against every backend: what a hop answer can rely on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallIndexInputError } from '../../../agent/calls/errors.js';
import { layoutOf, shardOf } from '../../../agent/calls/layout.js';
import type { CallRecord } from '../../../agent/calls/record.js';
import { Registry } from 'prom-client';
import { callIndexMetrics } from '../../../agent/calls/metrics.js';
import type { SizedCallIndex } from '../../../agent/calls/store.js';
import { IdentityInfo, Ingress } from '../../../proto/messages.js';

export interface ContractOptions {
  retentionDays: number;
  bucketSec: number;
  fileTrimGraceMs?: number;
}

export type MakeCallIndex = (options: ContractOptions) => SizedCallIndex | Promise<SizedCallIndex>;

const HOUR = 3_600_000;
const DAY_OPTIONS: ContractOptions = { retentionDays: 30, bucketSec: 3600 };
/** The start of the previous hour: recent enough to be retained, and a known bucket boundary at BOUNDARY. */
const BOUNDARY = Math.floor(Date.now() / HOUR) * HOUR;
const T = BOUNDARY - HOUR / 2;

export function call(over: Partial<CallRecord> = {}): CallRecord {
  return { at: T, calling: '+13125550117', called: '+12025550143', source: 'sip', ingress: { ip: '198.51.100.7', port: 5060 }, ...over };
}

/** Another E.164 number whose shard is the same as `called`'s: it lives in the same keys. */
export function sameShardNumber(called: string, shards = 4096): string {
  const layout = layoutOf({ ...DAY_OPTIONS, shards });
  for (let n = 2025550000; ; n++) {
    const other = `+1${n}`;
    if (other !== called && shardOf(layout, other) === shardOf(layout, called)) return other;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function callIndexContract(name: string, make: MakeCallIndex): void {
  describe(`call index contract: ${name}`, () => {
    const opened: SizedCallIndex[] = [];
    const open = async (options: ContractOptions = DAY_OPTIONS) => {
      const index = await make(options);
      opened.push(index);
      return index;
    };
    afterEach(async () => {
      for (const index of opened.splice(0)) await index.close();
    });

    it('finds an added call by its called number and a window around its time', async () => {
      const index = await open();
      const record = call();
      await index.add([record]);
      expect(await index.lookup(record.called, T - 120_000, T + 120_000)).toEqual([record]);
    });

    it('includes calls exactly at both window edges and excludes those 1 ms outside', async () => {
      const index = await open();
      const from = T - 60_000;
      const to = T + 60_000;
      await index.add([call({ at: from - 1 }), call({ at: from }), call({ at: to }), call({ at: to + 1 })]);
      const found = await index.lookup('+12025550143', from, to);
      expect(found.map((r) => r.at).sort()).toEqual([from, to]);
    });

    it('finds calls on both sides of a bucket boundary in one window', async () => {
      const index = await open();
      await index.add([call({ at: BOUNDARY - 1 }), call({ at: BOUNDARY })]);
      const found = await index.lookup('+12025550143', BOUNDARY - 1000, BOUNDARY + 1000);
      expect(found.map((r) => r.at).sort()).toEqual([BOUNDARY - 1, BOUNDARY]);
    });

    it('does not return calls to other numbers, even those stored in the same shard', async () => {
      const index = await open();
      const neighbour = sameShardNumber('+12025550143');
      await index.add([call({ called: neighbour }), call({ called: '+12025550199' })]);
      expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual([]);
      expect(await index.lookup(neighbour, T - 1000, T + 1000)).toEqual([call({ called: neighbour })]);
    });

    it("orders matches by |Δt| to the window's middle, nearest first", async () => {
      const index = await open();
      const offsets = [50_000, -10_000, 30_000, -100_000, 0];
      await index.add(offsets.map((d) => call({ at: T + d })));
      const found = await index.lookup('+12025550143', T - 120_000, T + 120_000);
      expect(found.map((r) => r.at - T)).toEqual([...offsets].sort((a, b) => Math.abs(a) - Math.abs(b)));
    });

    it('returns at most `limit` matches, the nearest ones', async () => {
      const index = await open();
      await index.add([1, 2, 3, 4, 5].map((s) => call({ at: T + s * 1000 })));
      const found = await index.lookup('+12025550143', T - 120_000, T + 120_000, 2);
      expect(found.map((r) => r.at - T)).toEqual([1000, 2000]);
    });

    it('round-trips identity, ingress (every protocol field), source and flags exactly', async () => {
      const index = await open();
      const signed = call({
        source: 'cdr:ribbon',
        ingress: { ip: '2001:db8::7', port: 5061, trunkGroup: 'TG-PEER-7', realm: 'peer7.example' },
        identity: { attest: 'B', origid: '3a47c1c8-1d0e-4f4e-9f7d-2a3c7b5e9d10', signer: 'SPC 567J', verified: true, reason: 'cert chain ok' },
        clockUntrusted: true,
      });
      // A field added to the protocol must be added here, and kept by the index.
      expect(Object.keys(signed.ingress)).toEqual(Object.keys(Ingress.shape));
      expect(Object.keys(signed.identity ?? {})).toEqual(Object.keys(IdentityInfo.shape));
      const unverified = call({
        at: T + 1,
        source: 'hep',
        ingress: { trunkGroup: 'TG-CUST-12' },
        identity: { attest: 'C', verified: false, reason: 'x5u fetch failed' },
        anonymous: true,
      });
      await index.add([signed, unverified]);
      expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual([signed, unverified]);
    });

    it("keeps a withheld caller as '' with the anonymous flag", async () => {
      const index = await open();
      const withheld = call({ calling: '', anonymous: true });
      await index.add([withheld]);
      expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual([withheld]);
    });

    it('round-trips calling numbers that are not E.164, each distinct', async () => {
      const index = await open();
      const raws = ['anonymous', '2025550143', '+1 (312) 555-0117', '+123', 'Ünknown'].map((calling, i) => call({ at: T + i, calling }));
      await index.add(raws);
      expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual(raws);
    });

    it('finds a call with a DST-ambiguous time by either time, and returns it once when both are in the window', async () => {
      const index = await open();
      const ambiguous = call({ at: T - HOUR, atAlt: T, callId: 'a84b4c76e66710@pc33.example' });
      await index.add([ambiguous]);
      expect(await index.lookup('+12025550143', T - HOUR - 1000, T - HOUR + 1000)).toEqual([ambiguous]);
      expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual([ambiguous]);
      expect(await index.lookup('+12025550143', T - HOUR - 1000, T + 1000)).toEqual([ambiguous]);
    });

    it('keeps the call id of a record that has extras and drops a lone one, which would cost more than the call', async () => {
      const index = await open();
      const withExtras = call({ calling: 'restricted', callId: 'f81d4fae-7dec-11d0@10.0.0.1' });
      const plain = call({ at: T + 1, callId: 'b2c7@10.0.0.2' });
      await index.add([withExtras, plain]);
      const { callId: _dropped, ...plainStored } = plain;
      expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual([withExtras, plainStored]);
    });

    it('tells its size as the entries within retention, in the hoptrace_call_index_entries gauge', async () => {
      const index = await open();
      const metrics = new Registry();
      callIndexMetrics(metrics, index);
      const gauge = async () => (await metrics.getSingleMetric('hoptrace_call_index_entries')?.get())?.values[0]?.value;
      expect(await gauge()).toBe(0);
      // Two buckets, two shards, and a DST-ambiguous call indexed under both its times.
      await index.add([call(), call({ at: T - HOUR, called: '+447700900123' }), call({ at: T + 1, atAlt: T + HOUR + 1 })]);
      expect(await index.size()).toBe(4);
      expect(await gauge()).toBe(4);
    });

    it('keeps where a CDR record was read (file and byte offset) as its evidence, and none for a SIP record', async () => {
      const index = await open();
      const cdr = call({ source: 'cdr:ribbon', evidence: { file: '/var/log/sonus/sbx/evlog/1001AC2.ACT', offset: 2 ** 32 + 1234, fileKey: '2049:131' } });
      const next = call({ at: T + 1, source: 'cdr:ribbon', evidence: { file: '/var/log/sonus/sbx/evlog/1001AC2.ACT', offset: 0, fileKey: '2049:131' } });
      // The same name, another file (a new one after rotation), and a record of a file whose identity is unknown.
      const reused = call({ at: T + 2, source: 'cdr:ribbon', evidence: { file: '/var/log/sonus/sbx/evlog/1001AC2.ACT', offset: 0, fileKey: '2049:18446744073709551615' } });
      const other = call({ at: T + 3, source: 'cdr:ribbon', evidence: { file: '/var/log/sonus/sbx/evlog/1001AC3.ACT', offset: 77 } });
      const sip = call({ at: T + 4 });
      await index.add([cdr, next, reused, other, sip]);
      expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual([cdr, next, reused, other, sip]);
    });

    it("drops a file's dictionary term once its calls are past retention, keeps recent ones, and never names a trimmed file for a new one", async () => {
      const index = await open({ retentionDays: 1 / 86_400, bucketSec: 1, fileTrimGraceMs: 0 });
      const cdr = (name: string, called: string) =>
        call({ at: Date.now(), called, source: 'cdr:ribbon', evidence: { file: `/var/cdr/${name}.ACT`, offset: 10, fileKey: '2049:7' } });
      const found = (r: CallRecord) => index.lookup(r.called, r.at - 1000, r.at + 1000);
      const old = cdr('old', '+12025550101');
      await index.add([old]);
      // The lookup caches the file's term in this process's dictionary.
      expect(await found(old)).toEqual([old]);
      // The bucket of `old` ends within 1 s and is kept 1 s more.
      await sleep(Math.ceil(old.at / 1000) * 1000 + 1000 - Date.now() + 100);
      const recent = cdr('recent', '+12025550102');
      await index.add([recent]);
      await index.trimFiles();
      expect(await found(old)).toEqual([]);
      expect(await found(recent)).toEqual([recent]);
      // Files leased after the trim take the old file's id: each is read back as itself.
      const fresh = ['a', 'b', 'c'].map((name, i) => cdr(name, `+1202555011${i}`));
      await index.add(fresh);
      for (const r of [recent, ...fresh]) expect(await found(r)).toEqual([r]);
      expect(await index.trimFiles()).toBe(0);
    });

    it("keeps a file's term for a grace after its calls expired (a lookup that read them just before still names it), and drops it after", async () => {
      const graceMs = 1500;
      const index = await open({ retentionDays: 1 / 86_400, bucketSec: 1, fileTrimGraceMs: graceMs });
      const old = call({ at: Date.now(), source: 'cdr:ribbon', evidence: { file: '/var/cdr/old.ACT', offset: 10, fileKey: '2049:7' } });
      await index.add([old]);
      const expiresAt = Math.floor(old.at / 1000) * 1000 + 2000;
      await sleep(expiresAt - Date.now() + 100);
      expect(await index.trimFiles()).toBe(0);
      await sleep(expiresAt + graceMs - Date.now() + 100);
      expect(await index.trimFiles()).toBe(1);
    });

    it('rejects an evidence file identity that is not <dev>:<ino> and writes nothing', async () => {
      const index = await open();
      await expect(index.add([call({ evidence: { file: '/var/cdr/a.ACT', offset: 0, fileKey: 'inode 7' } })])).rejects.toThrow(
        new CallIndexInputError('records[0].evidence.fileKey', 'must be <dev>:<ino> (got "inode 7")'),
      );
      expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual([]);
    });

    it('returns the same record added twice (a replayed batch) once, but the same call from two sources twice', async () => {
      const index = await open();
      const sip = call({ calling: 'restricted' });
      const cdr = call({ calling: 'restricted', source: 'cdr:acme' });
      await index.add([sip]);
      await index.add([sip, cdr]);
      expect(await index.lookup('+12025550143', T - 1000, T + 1000)).toEqual([sip, cdr]);
    });

    it('rejects a batch with a non-E.164 called number, naming the record and field, and writes none of it', async () => {
      const index = await open();
      const good = call();
      await expect(index.add([good, call({ called: '2025550143' })])).rejects.toThrow(
        new CallIndexInputError('records[1].called', 'must be E.164, e.g. +12025550143 (got "2025550143")'),
      );
      expect(await index.lookup(good.called, T - 1000, T + 1000)).toEqual([]);
    });

    it.each([
      ['a source outside sip | hep | drachtio | cdr:<format>', { source: 'smtp' as CallRecord['source'] }, 'records[0].source: sip | hep | drachtio | cdr:<format>'],
      ['an ingress port out of range', { ingress: { ip: '198.51.100.7', port: 70_000 } }, 'records[0].ingress.port: Too big'],
      ['an unknown attestation', { identity: { attest: 'D', verified: true } as unknown as CallRecord['identity'] }, 'records[0].identity.attest: Invalid option'],
      ['a time that is not epoch ms', { at: Number.NaN }, 'records[0].at: must be UTC epoch milliseconds'],
      ['a calling number over 64 characters', { calling: 'x'.repeat(65) }, 'records[0].calling: must be a string of at most 64 characters'],
      ['an evidence offset past 1 TB', { evidence: { file: '/var/cdr/a.ACT', offset: 2 ** 40 } }, 'records[0].evidence.offset: must be a byte offset'],
      ['an evidence file that is not a path', { evidence: { file: '', offset: 0 } }, 'records[0].evidence.file: Too small'],
    ])('rejects %s with the field path and writes nothing', async (_what, over, message) => {
      const index = await open();
      await expect(index.add([call(over)])).rejects.toThrow(message);
      await index.add([call({ at: T + 5 })]);
      expect((await index.lookup('+12025550143', T - 1000, T + 1000)).map((r) => r.at)).toEqual([T + 5]);
    });

    it('rejects a lookup of a non-E.164 called number, an inverted window or a limit below 1 with a clear error', async () => {
      const index = await open();
      await expect(index.lookup('12025550143', T, T + 1)).rejects.toThrow('lookup.called: must be E.164, e.g. +12025550143 (got "12025550143")');
      await expect(index.lookup('+12025550143', T + 1, T)).rejects.toThrow(`lookup.window: must be finite epoch ms with from <= to (got ${T + 1}..${T})`);
      await expect(index.lookup('+12025550143', T, T + 1, 0)).rejects.toThrow('lookup.limit: must be a positive integer (got 0)');
    });

    it('forgets calls once their bucket is past retention, and never indexes a call that already is', async () => {
      const index = await open({ retentionDays: 2 / 86_400, bucketSec: 1 });
      const now = Date.now();
      await index.add([call({ at: now }), call({ at: now - 10_000 })]);
      expect((await index.lookup('+12025550143', now - 20_000, now + 1000)).map((r) => r.at)).toEqual([now]);
      // The bucket of `now` ends within 1 s and is kept 2 s more.
      await sleep(Math.ceil(now / 1000) * 1000 + 2000 - Date.now() + 100);
      expect(await index.lookup('+12025550143', now - 20_000, now + 1000)).toEqual([]);
    });

    it('answers ping while the store is reachable', async () => {
      const index = await open();
      expect(await index.ping()).toBe(true);
    });
  });
}

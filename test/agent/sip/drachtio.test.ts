import Srf from 'drachtio-srf';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { CertDirectory } from '../../../agent/sip/certs.js';
import { type DrachtioApp, startDrachtioApp } from '../../../agent/sip/drachtio.js';
import { FakeDrachtio } from './fake-drachtio.js';
import { BASE_HEADERS, sip } from './messages.js';
import { fixturePolicy } from './policy-harness.js';
import { RecordingIndex } from './recording-index.js';
import { CALLING, certDir, claimsFor, identityHeader, passport, x5uOf } from './shaken.js';

const SECRET = 'cymru';
const CALLED = '+12025550143';
const R_URI = `sip:${CALLED}@192.0.2.10;user=phone`;
/** DNO-listed in the fixture list (list-sample.csv). */
const LISTED = '+12025550100';

interface Running {
  fake: FakeDrachtio;
  app: DrachtioApp;
  index: RecordingIndex;
  registry: Registry;
}

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function start(opts: { secret?: string; certs?: CertDirectory } = {}): Promise<Running> {
  const fake = await FakeDrachtio.start(SECRET);
  stops.push(() => fake.close());
  const index = new RecordingIndex();
  const registry = new Registry();
  const app = startDrachtioApp({
    host: '127.0.0.1',
    port: fake.port,
    secret: opts.secret ?? SECRET,
    policy: fixturePolicy('drachtio'),
    index,
    registry,
    log: pino({ level: 'silent' }),
    recorder: { flushMs: 10 },
    retryMaxDelayMs: 200,
    ...(opts.certs && { identity: { certs: opts.certs } }),
  });
  stops.push(() => app.stop());
  return { fake, app, index, registry };
}

/** An INVITE to R_URI with From `from` and extra headers (e.g. a PAI). */
function inviteFrom(from: string, extra: string[] = [], callId = 'dr-1@198.51.100.7'): string {
  const base = BASE_HEADERS.filter((h) => !/^(From|Call-ID):/.test(h));
  return sip([`INVITE ${R_URI} SIP/2.0`, ...base, `From: <${from}>;tag=f1`, `Call-ID: ${callId}`, ...extra, 'Content-Length: 0']).toString('latin1');
}

const statusLine = (response: string) => response.split('\r\n')[0];
const header = (response: string, name: string) => new RegExp(`\\r\\n${name}: ([^\\r]*)\\r\\n`, 'i').exec(response)?.[1];

describe('drachtio app', () => {
  it('authenticates with the configured secret and routes INVITEs to itself', async () => {
    const { fake, app } = await start();
    await fake.ready();
    expect(fake.authentications).toEqual([SECRET]);
    expect(fake.routes).toEqual(['invite']);
    await expect.poll(() => app.connected).toBe(true);
  });

  it('blocks a listed caller with 603 and a Q.850 cause 21 Reason, and records the call with source drachtio', async () => {
    const { fake, index, registry } = await start();
    await fake.ready();
    const response = await fake.invite(inviteFrom(`sip:${LISTED}@198.51.100.7;user=phone`), { address: '198.51.100.20', port: 5070 });
    expect(statusLine(response)).toBe('SIP/2.0 603 Decline');
    expect(header(response, 'Reason')).toBe('Q.850;cause=21;text="Call Rejected"');
    expect(header(response, 'Contact')).toBeUndefined();
    const [record] = await index.waitFor(1);
    expect(record).toMatchObject({ calling: LISTED, called: CALLED, source: 'drachtio', ingress: { ip: '198.51.100.20', port: 5070 }, callId: 'dr-1@198.51.100.7' });
    const invites = await registry.getSingleMetric('hoptrace_sip_invites_total')?.get();
    expect(invites?.values.filter((v) => v.value > 0).map((v) => [v.labels, v.value])).toEqual([[{ source: 'drachtio', action: 'block', category: 'listed' }, 1]]);
  });

  it('redirects a clean caller with 302 and a Contact naming the Request-URI', async () => {
    const { fake, index } = await start();
    await fake.ready();
    const response = await fake.invite(inviteFrom(`sip:${CALLING}@198.51.100.7;user=phone`));
    expect(statusLine(response)).toBe('SIP/2.0 302 Moved Temporarily');
    expect(header(response, 'Contact')).toBe(`<${R_URI}>`);
    expect(header(response, 'Reason')).toBeUndefined();
    expect((await index.waitFor(1))[0]).toMatchObject({ calling: CALLING, source: 'drachtio', ingress: { ip: '203.0.113.5', port: 5060 } });
  });

  it('blocks a listed caller named only by a tel: PAI, which drachtio-srf\'s callingNumber misses', async () => {
    const { fake, index } = await start();
    await fake.ready();
    const invite = inviteFrom(`sip:${CALLING}@198.51.100.7;user=phone`, [`P-Asserted-Identity: <tel:${LISTED}>`]);
    // The pitfall (sip-notes.md §4.5): srf reads PAI with sips?:(.*?)@ and does not fall back to From.
    const SrfSipMessage = (Srf as unknown as { SipMessage: new (raw: string) => { callingNumber: string } }).SipMessage;
    expect(new SrfSipMessage(invite).callingNumber).toBe('');
    const response = await fake.invite(invite);
    expect(statusLine(response)).toBe('SIP/2.0 603 Decline');
    expect((await index.waitFor(1))[0]?.calling).toBe(LISTED);
  });

  it('answers 400 naming the fault when our parser refuses an INVITE drachtio-server passed on', async () => {
    const { fake, index } = await start();
    await fake.ready();
    const invite = inviteFrom(`sip:${CALLING}@198.51.100.7`).replace('CSeq: 1 INVITE', 'CSeq: 1 BYE');
    const response = await fake.invite(invite);
    expect(statusLine(response)).toBe('SIP/2.0 400 CSeq method does not match the Request-Line');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(index.records).toEqual([]);
  });

  it('records the verified SHAKEN identity of a signed INVITE', async () => {
    const dir = certDir(['sp']);
    stops.push(dir.remove);
    const { fake, index } = await start({ certs: CertDirectory.load(dir.dir) });
    await fake.ready();
    const identity = identityHeader(passport({ ...claimsFor(Math.floor(Date.now() / 1000)), dest: { tn: [CALLED.slice(1)] } }), x5uOf('sp'));
    await fake.invite(inviteFrom(`sip:${CALLING}@198.51.100.7;user=phone`, [`Identity: ${identity}`]));
    expect((await index.waitFor(1))[0]?.identity).toEqual({ attest: 'A', origid: claimsFor(0).origid, signer: '709J', verified: true });
  });

  it('stays unconnected, without crashing, when the server refuses its secret', async () => {
    const { fake, app } = await start({ secret: 'wrong' });
    await expect.poll(() => fake.authentications.length).toBeGreaterThan(0);
    expect(fake.authentications[0]).toBe('wrong');
    expect(fake.routes).toEqual([]);
    expect(app.connected).toBe(false);
  });

  it('reconnects when the server drops the connection and serves INVITEs again', async () => {
    const { fake, app } = await start();
    await fake.ready();
    fake.dropApp();
    await expect.poll(() => fake.authentications.length, { timeout: 5_000 }).toBe(2);
    await fake.ready();
    await expect.poll(() => app.connected).toBe(true);
    expect(statusLine(await fake.invite(inviteFrom(`sip:${LISTED}@198.51.100.7;user=phone`)))).toBe('SIP/2.0 603 Decline');
  });
});

/** The subscribers and deliveries API: admin only, bad input named and refused with nothing changed. */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNotifyHub, type NotifyHub } from '../notify/hub-setup.js';

let h: NotifyHub;
const agency = { id: 'fbi', name: 'FBI', kind: 'agency', url: 'https://tips.example.gov/hoptrace', receives: { referrals: { campaigns: ['A'] } } };

async function http(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(`${h.running.url}${path}`, {
    method: method as 'POST',
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: await res.body.json() };
}

beforeAll(async () => {
  h = await startNotifyHub({ providers: [] });
});
afterAll(() => h?.stop());

describe('subscribers API', () => {
  it('registers a subscriber and tells it the hub key to verify with', async () => {
    const r = await http('POST', '/v1/subscribers', h.token, agency);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: 'fbi', receives: { referrals: { campaigns: ['A'] }, notices: false }, verifyWith: { hubId: 'hub', kid: 'hub-notify', publicKey: h.pinned } });
    expect((await http('GET', '/v1/subscribers', h.token)).body.subscribers.map((s: { id: string }) => s.id)).toEqual(['fbi']);
  });

  it('is for admins only: says why, and shows nothing', async () => {
    expect(await http('GET', '/v1/subscribers')).toEqual({ status: 401, body: { error: 'missing bearer token' } });
    expect(await http('GET', '/v1/subscribers', h.requester)).toEqual({ status: 403, body: { error: 'token lacks role admin' } });
    expect((await http('POST', '/v1/subscribers', h.requester, { ...agency, id: 'sneaky' })).status).toBe(403);
    expect((await http('GET', '/v1/deliveries', h.requester)).status).toBe(403);
    expect((await http('POST', '/v1/deliveries/x/redeliver', h.requester, {})).status).toBe(403);
    expect((await http('GET', '/v1/subscribers', h.token)).body.subscribers.map((s: { id: string }) => s.id)).toEqual(['fbi']);
  });

  it('refuses a bad subscriber naming the field, and registers nothing', async () => {
    expect(await http('POST', '/v1/subscribers', h.token, { ...agency, id: 'plain', url: 'http://tips.example.gov/x' })).toEqual({
      status: 400,
      body: { path: 'url', error: 'url: must be https:// (plain http:// only to a loopback address)' },
    });
    expect((await http('POST', '/v1/subscribers', h.token, { ...agency, id: 'p2', kind: 'provider' })).body.path).toBe('provider');
    expect((await http('POST', '/v1/subscribers', h.token, { ...agency, id: 'p3', receives: { referrals: { outcomes: ['won'] } } })).body.path).toBe('receives.referrals.outcomes[0]');
    expect((await http('GET', '/v1/subscribers', h.token)).body.subscribers.map((s: { id: string }) => s.id)).toEqual(['fbi']);
  });

  it('answers 404 for what does not exist, and 400 for a bad listing filter', async () => {
    expect(await http('DELETE', '/v1/subscribers/nobody', h.token)).toEqual({ status: 404, body: { error: 'no such subscriber' } });
    expect(await http('GET', '/v1/deliveries/ntf_nothing', h.token)).toEqual({ status: 404, body: { error: 'no such delivery' } });
    expect(await http('POST', '/v1/deliveries/ntf_nothing/redeliver', h.token, {})).toEqual({ status: 404, body: { error: 'no such delivery' } });
    expect((await http('GET', '/v1/deliveries?state=lost', h.token)).body.path).toBe('state');
    expect(await http('DELETE', '/v1/subscribers/fbi', h.token)).toEqual({ status: 200, body: { removed: 'fbi' } });
    expect((await http('GET', '/v1/subscribers', h.token)).body.subscribers).toEqual([]);
  });
});

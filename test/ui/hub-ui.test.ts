/**
 * The hub web UI in headless Chromium against a running simulated network (a hub and the carriers' agents in
 * this process, real loopback HTTP): a person signs in, starts a trace and watches it reach the originator,
 * downloads its evidence, reads the list, a campaign's graph and the providers scoreboard; a provider's person
 * answers a manual hop from the link alone; all of it by keyboard where a person would use one. Screenshots
 * of each page go to test/artifacts/.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEvidence } from '../../hub/evidence-check.js';
import { FORWARD_QUESTION } from '../../hub/notify/notices.js';
import type { RunningNetwork } from '../../sim/carriers.js';
import { ROBOCALLER } from '../../sim/network.js';
import { type Browser, startBrowser } from './browser.js';
import { freshCall, MANUAL_PROVIDER, seedCall, startUiNetwork } from './network.js';

let net: RunningNetwork;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  net = await startUiNetwork();
  browser = await startBrowser();
  page = await browser.page();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await net?.stop();
});

const route = (name: 'domestic' | 'foreign') => net.network.routes[name]!.legs;
const heading = (p: Page) => p.getByRole('heading', { level: 1 });
// Page-side expressions as strings: the tests compile without the DOM library.
const storedToken = (p: Page) => p.evaluate<string | null>("sessionStorage.getItem('hoptrace.token')");
const focused = (p: Page, prop: 'id' | 'textContent' | 'tagName') => p.evaluate<string | undefined>(`document.activeElement?.${prop}`);

async function signIn(p: Page): Promise<void> {
  await p.goto(`${net.hub.url}/ui/`);
  await p.getByLabel('API token').fill(net.token);
  await p.getByLabel('API token').press('Enter');
  await expect.poll(() => heading(p).textContent()).toBe('Tracebacks');
}

async function tracebackCount(): Promise<number> {
  return (await net.client.report<Record<string, number>>('outcomes').then((o) => Object.values(o).reduce((a, b) => a + b, 0)));
}

describe('hub web UI in headless Chromium', () => {
  it('asks for a token, says why it refuses a wrong one, and keeps the right one for the tab', async () => {
    await page.goto(`${net.hub.url}/ui/`);
    expect(await heading(page).textContent()).toBe('Sign in to the hub');
    await page.getByLabel('API token').fill('ht_not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The hub refused the token: unknown token');
    await signIn(page);
    await page.reload();
    await expect.poll(() => heading(page).textContent()).toBe('Tracebacks');
    expect(await storedToken(page)).toBe(net.token);
  });

  it('starts a trace from the form and draws its path as it reaches the originator', async () => {
    const call = freshCall();
    await seedCall(net, route('domestic'), call);
    await page.getByRole('link', { name: 'Start a trace' }).first().click();
    await expect.poll(() => heading(page).textContent()).toBe('Start a trace');
    await page.getByLabel('Calling number').fill(call.calling);
    await page.getByLabel('Called number').fill(call.called);
    await page.getByLabel('Time of the call').fill(call.at);
    await page.getByLabel('Terminating provider').selectOption('lakeshore');
    await page.getByLabel('Called number').press('Enter');

    await expect.poll(() => heading(page).textContent()).toMatch(/^Traceback [0-9a-f]{8}$/);
    await expect.poll(() => page.locator('#case-status').textContent(), { timeout: 15_000 }).toBe('Originated');
    const path = page.locator('svg.path');
    expect(await path.getAttribute('role')).toBe('img');
    expect(await path.locator('g.node text.label').allTextContents()).toEqual([ROBOCALLER.account, 'voxnova', 'midstate', 'crossroads', 'lakeshore']);
    expect(await path.locator('g.arrow text.source').allTextContents()).toEqual(['cdr:asterisk', 'cdr:ribbon', 'cdr:kamailio', 'sip']);
    for (const t of await path.locator('g.arrow text.time').allTextContents()) expect(t).toMatch(/^call at \d\d:\d\d:\d\d$/);
    for (const t of await path.locator('g.arrow text.took').allTextContents()) expect(t).toMatch(/^answered in \d+ ms$/);
    expect(await path.locator('desc').textContent()).toBe(`The call travelled ${ROBOCALLER.account} (${ROBOCALLER.name}) → voxnova (originator) → midstate (transit) → crossroads (transit) → lakeshore (terminating)`);
    const rows = page.locator('table.hops tbody tr');
    expect(await rows.count()).toBe(4);
    expect(await rows.nth(3).textContent()).toContain(`customer ${ROBOCALLER.account}, ${ROBOCALLER.name}`);
    await browser.screenshot(page, 'traceback-originated');
  });

  it('downloads the evidence bundle, and it verifies offline', async () => {
    const id = (await page.locator('dd code').textContent())!;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Download evidence/ }).click()]);
    expect(download.suggestedFilename()).toBe(`traceback-${id}-evidence.json`);
    const bundle = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(bundle.case.id).toBe(id);
    const report = checkEvidence(bundle, { hubKey: bundle.hub.publicKey });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('marks the refused field, says why, and starts nothing', async () => {
    const before = await tracebackCount();
    await page.goto(`${net.hub.url}/ui/#/trace`);
    await expect.poll(() => heading(page).textContent()).toBe('Start a trace');
    await page.getByLabel('Calling number').fill('+13125550117');
    await page.getByLabel('Called number').fill('2025550143');
    await page.getByRole('button', { name: 'Start traceback' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Not started: call.called: must be E.164, e.g. +12025550143');
    expect(await page.getByLabel('Called number').getAttribute('aria-invalid')).toBe('true');
    expect(await focused(page, 'id')).toBe('called');
    expect(await tracebackCount()).toBe(before);
  });

  it('lists tracebacks with status, outcome, age and hops, and shows data as text, never as markup', async () => {
    const hostile = freshCall('<img src=x onerror="window.pwned=1">');
    await seedCall(net, route('foreign'), hostile);
    const started = await net.client.startTraceback({ call: hostile, firstProvider: 'lakeshore' });
    await net.client.waitForEnd(started.id, 15_000);
    await page.goto(`${net.hub.url}/ui/#/tracebacks`);
    const row = page.locator('table.list tbody tr', { hasText: started.id.slice(0, 8) });
    await expect.poll(() => row.count()).toBe(1);
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe(`${hostile.calling} → ${hostile.called}`);
    expect(cells.slice(2, 5)).toEqual(['Foreign (point of entry)', 'point of entry harborgate', '3']);
    expect(cells[5]).toMatch(/^\d+ (s|min)$/);
    expect(await page.locator('table.list img').count()).toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    await browser.screenshot(page, 'tracebacks-list');
  });

  it("draws a campaign's paths as one graph", async () => {
    const calls = [freshCall('+17732645101'), freshCall('+17732645102'), freshCall('+17732645103')];
    await seedCall(net, route('domestic'), calls[0]!);
    await seedCall(net, route('domestic'), calls[1]!);
    await seedCall(net, route('foreign'), calls[2]!);
    const started = await net.client.startCampaign('ui-campaign', calls.map((call) => ({ call, firstProvider: 'lakeshore' })));
    await Promise.all(started.tracebacks.map((t) => net.client.waitForEnd(t.id, 15_000)));
    await page.goto(`${net.hub.url}/ui/#/campaigns`);
    await page.getByRole('link', { name: 'ui-campaign' }).click();
    await expect.poll(() => heading(page).textContent()).toBe('Campaign ui-campaign');
    const graph = page.locator('svg.graph');
    await expect.poll(() => graph.count()).toBe(1);
    expect((await graph.locator('g.node text.label').allTextContents()).sort()).toEqual(['crossroads', 'harborgate', 'lakeshore', 'midstate', 'voxnova']);
    expect(await graph.locator('desc').textContent()).toContain('crossroads handed 3 call(s) to lakeshore');
    expect(await graph.locator('g.node.ended text.role').allTextContents()).toEqual(['ended: originated 2', 'ended: foreign 1']);
    expect(await page.locator('main p', { hasText: 'traceback(s):' }).textContent()).toBe('3 traceback(s): originated 2, foreign (point of entry) 1. List them');
    await browser.screenshot(page, 'campaign-graph');
  });

  it('scores each provider by its answers', async () => {
    await page.goto(`${net.hub.url}/ui/#/providers`);
    const row = page.locator('table.scoreboard tbody tr', { hasText: 'Lakeshore Telephone' });
    await expect.poll(() => row.count()).toBe(1);
    const cells = await row.locator('td').allTextContents();
    expect(cells[2]).toBe('agent (pull)');
    expect(Number(cells[3])).toBeGreaterThanOrEqual(5);
    expect(cells[4]).toBe(cells[3]);
    expect(cells[5]).toMatch(/^\d+ ms$/);
    const manual = await page.locator('table.scoreboard tbody tr', { hasText: MANUAL_PROVIDER.name }).locator('td').allTextContents();
    expect(manual[2]).toBe('a person');
    await browser.screenshot(page, 'providers');
  });

  it("lets a provider's person answer a manual hop from the link alone, by keyboard", async () => {
    const call = freshCall('+17732645201');
    await seedCall(net, [{ provider: 'lakeshore', sbc: '127.0.0.9' }], call);
    const started = await net.client.startTraceback({ call, firstProvider: 'lakeshore' });
    await expect.poll(async () => (await net.client.getTraceback(started.id)).hops[1]?.mode, { timeout: 10_000 }).toBe('manual');

    await page.goto(`${net.hub.url}/ui/#/manual`);
    const link = page.getByRole('link', { name: `Answer page for ${MANUAL_PROVIDER.id}` });
    await expect.poll(() => link.count()).toBe(1);
    const href = (await link.getAttribute('href'))!;
    expect(href).toMatch(/\/ui\/manual\.html#[A-Za-z0-9_.-]+$/);

    // The person has no token: a new tab has no session storage of the signed-in admin.
    const person = await browser.page();
    // What an access log or a proxy would see of the page's API calls: the path, never the link's token.
    const token = href.split('#')[1]!;
    const calls: { url: string; authorization: string | undefined }[] = [];
    person.on('request', (r) => void (r.url().includes('/v1/') && calls.push({ url: r.url(), authorization: r.headers().authorization })));
    await person.goto(href);
    await expect.poll(() => heading(person).textContent()).toBe(`Traceback request for ${MANUAL_PROVIDER.name}`);
    expect(await storedToken(person)).toBeNull();
    expect(await person.locator('dl.facts').textContent()).toContain(call.called);
    await person.getByLabel('Our own customer placed it (we originated it)').check();
    await person.getByLabel('Account').fill('NG-5501');
    await person.getByLabel('Your name').fill('Dana Ops');
    await browser.screenshot(person, 'manual-question');
    await person.getByLabel('Your name').press('Enter');
    await expect.poll(() => heading(person).textContent()).toBe('Thank you');
    await browser.screenshot(person, 'manual-answered');
    await person.close();
    expect(calls).toEqual([
      { url: `${net.hub.url}/v1/manual/question`, authorization: `Manual ${token}` },
      { url: `${net.hub.url}/v1/manual/question`, authorization: `Manual ${token}` },
    ]);

    const done = await net.client.waitForEnd(started.id, 10_000);
    expect(done.status).toBe('originated');
    expect(done.originator).toBe(MANUAL_PROVIDER.id);
    expect(done.hops[1]?.answeredBy?.name).toBe('Dana Ops');
    expect(done.hops[1]?.answer?.matches[0]?.customer).toEqual({ account: 'NG-5501' });
  });

  it('asks the holder of a call-back number the trace forward question, with its own choices', async () => {
    const number = '+13125550142';
    const started = await net.client.notify().startForward({ number, holder: MANUAL_PROVIDER.id });
    // The link a provider's notification endpoint receives: the answer page with the signed token in the fragment.
    const pending = (await net.client.pendingManual()).find((m) => m.caseId === started.id);
    const token = new URL(pending!.url).hash.slice(1);

    const person = await browser.page();
    await person.goto(`${net.hub.url}/ui/manual.html#${token}`);
    await expect.poll(() => heading(person).textContent()).toBe(`Trace forward request for ${MANUAL_PROVIDER.name}`);
    expect(await person.locator('main > p').first().textContent()).toContain(`call back ${number}`);
    expect(await person.locator('dl.facts dt').first().textContent()).toBe('Call-back number');
    expect(await person.locator('dl.facts dd').first().textContent()).toBe(number);
    expect(await person.locator('main').textContent()).not.toContain('this call to you');
    const question = person.getByRole('group', { name: FORWARD_QUESTION });
    expect(await question.getByRole('radio').evaluateAll((rs) => rs.map((r) => r.getAttribute('value')))).toEqual(['originated', 'upstream', 'not_found']);
    expect(await question.locator('label').allTextContents()).toEqual(['It is assigned to our customer', 'It was ported to another provider', 'It is not ours (we do not hold this number)']);
    // The customer's fields are shown with the first choice; the other provider's only once "ported" is chosen.
    expect(await person.getByRole('group', { name: 'Your customer (as you may disclose it)' }).isVisible()).toBe(true);
    expect(await person.getByRole('group', { name: 'Which provider holds it now', exact: true }).isVisible()).toBe(false);
    await person.getByLabel('It was ported to another provider').check();
    expect(await person.getByRole('group', { name: 'Which provider holds it now', exact: true }).isVisible()).toBe(true);
    await person.getByLabel('It is assigned to our customer').check();
    await person.getByLabel('Account').fill('NG-CB-77');
    await person.getByLabel('Your name').fill('Rui Holder');
    await browser.screenshot(person, 'manual-forward-question');
    await person.getByLabel('Your name').press('Enter');
    await expect.poll(() => heading(person).textContent()).toBe('Thank you');
    await person.close();

    const done = await net.client.waitForEnd(started.id, 10_000);
    expect(done.forward).toEqual({ number });
    expect(done.status).toBe('originated');
    expect(done.originator).toBe(MANUAL_PROVIDER.id);
    expect(done.hops[0]?.answer?.matches[0]?.customer).toEqual({ account: 'NG-CB-77' });
  });

  it('keeps the DNO list: search, add with a reason, history, refusal of a bad entry, remove', async () => {
    await page.goto(`${net.hub.url}/ui/#/tracebacks`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'DNO list' }).click();
    await expect.poll(() => heading(page).textContent()).toBe('DNO list');
    const add = page.getByRole('form', { name: 'Add' });
    await add.getByLabel('Number, prefix or range').fill('+13125550177');
    await add.getByLabel('Category').selectOption('unassigned');
    await add.getByLabel('Reason (optional)').fill('spare DID pool');
    await add.getByLabel('Why (for the history, optional)').fill('added from the UI test');
    await add.getByRole('button', { name: 'Add to the list' }).click();
    await expect.poll(() => add.getByRole('status').textContent()).toMatch(/^Added: the list is now at version \d+\.$/);

    const search = page.getByRole('search', { name: 'Search the DNO list' });
    await search.getByLabel('Number, prefix or range').fill('+13125550177');
    await search.getByLabel('Number, prefix or range').press('Enter');
    const found = page.locator('#dno-found table tbody tr');
    await expect.poll(() => found.count()).toBe(1);
    const cells = await found.locator('td').allTextContents();
    expect([cells[0], cells[1], cells[2], cells[4], cells[6]]).toEqual(['+13125550177', 'unassigned', 'spare DID pool', 'demo-admin', 'added from the UI test']);
    expect(await page.locator('table.dno-history tbody tr').first().textContent()).toContain('added from the UI test');

    await add.getByLabel('Number, prefix or range').fill('+1911*');
    await add.getByRole('button', { name: 'Add to the list' }).click();
    await expect.poll(() => add.getByRole('status').textContent()).toMatch(/^Not changed: /);
    expect(await add.getByRole('status').locator('li').textContent()).toContain('+1911*: prefix +1911* covers the emergency number +1911');
    await browser.screenshot(page, 'dno-list');

    const remove = page.getByRole('form', { name: 'Remove' });
    await remove.getByLabel('Number, prefix or range').fill('+13125550177');
    await remove.getByRole('button', { name: 'Remove from the list' }).click();
    await expect.poll(() => remove.getByRole('status').textContent()).toMatch(/^Removed: the list is now at version \d+\.$/);
    await search.getByLabel('Number, prefix or range').press('Enter');
    await expect.poll(() => page.locator('#dno-found').textContent()).toBe('+13125550177 is on no list.');
  });

  it('can be used from the keyboard: skip link, menu, and focus on each new page', async () => {
    await page.goto(`${net.hub.url}/ui/#/tracebacks`);
    await page.reload();
    await expect.poll(() => heading(page).textContent()).toBe('Tracebacks');
    await page.keyboard.press('Tab');
    expect(await focused(page, 'textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await focused(page, 'id')).toBe('main');
    const providers = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Providers' });
    await providers.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page, 'tagName')).toBe('H1');
    expect(await focused(page, 'textContent')).toBe('Providers');
    expect(await providers.getAttribute('aria-current')).toBe('page');
  });

  it('a browser without the token is sent to sign in, and signing out forgets the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await heading(page).textContent()).toBe('Sign in to the hub');
    expect(await storedToken(page)).toBeNull();
    await page.goto(`${net.hub.url}/ui/#/providers`);
    expect(await heading(page).textContent()).toBe('Sign in to the hub');
  });
});

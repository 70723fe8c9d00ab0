import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { systemClock } from '../../src/lib/clock.ts';
import { createUser } from '../../src/modules/auth/index.ts';
import { createIncident, findIncidentRow, recordChange, transitionIncident } from '../../src/modules/incidents/index.ts';
import { ARTIFACTS, browserSkip, DESKTOP, launchBrowser, openPage, PHONE, ROOT, signInAt } from '../helpers/browser.ts';
import { createTestApp, createTestEnv, TEST_PASSWORD, type TestApp, type TestEnv } from '../helpers/env.ts';

/**
 * The responders' web console in a real headless Chromium (Debian's, never a downloaded browser),
 * against a real Firebreak on loopback: sign in, the incident list, declaring, live updates in a
 * second browser, working an incident, a viewer's limits, and a lost connection.
 */

const SKIP = browserSkip('browser suite');

const MIN = 60_000;

describe('web console in headless Chromium', { skip: SKIP, timeout: 90_000 }, () => {
  let env: TestEnv;
  let t: TestApp;
  let base: string;
  let port: number;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  /** The app on the real clock (relative times in the page are against the browser's own). */
  const startApp = async (listenPort: number) => {
    t = await createTestApp(env, { monitors: false, clock: systemClock });
    await t.app.listen({ port: listenPort, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  };

  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url);
    env.clock.set(Date.now());
    await startApp(0);
    browser = await launchBrowser();
  });

  // Each test's browsers close with it: no page of an earlier test is still listening later.
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
  });

  after(async () => {
    await browser?.close();
    await t?.app.close();
    await env?.close();
  });

  /** A fresh browser context (its own cookies) and page, recording console errors. */
  async function open(viewport = DESKTOP) {
    // A refused request (the 401 before signing in, a dropped stream) logs "Failed to load resource"; anything else is a bug.
    return openPage(browser, contexts, viewport, /Failed to load resource|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|EventSource/);
  }

  const signIn = (page: Page, handle: string, path = '/incidents', password = TEST_PASSWORD) => signInAt(page, `${base}${path}`, handle, password);

  const liveStatus = (page: Page) => page.locator('.live').getAttribute('data-status');
  async function waitForLive(page: Page, status: string, words: RegExp, ms = 8000) {
    await page.locator(`.live[data-status="${status}"]`).waitFor({ timeout: ms });
    assert.match(await page.locator('.live').innerText(), words);
  }
  const noSidewaysScroll = async (page: Page) => assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= (page.viewportSize()?.width ?? 0), 'no sideways scrolling');
  const refsIn = (page: Page, list: string) => page.getByRole('list', { name: list }).locator('li.inc-row').evaluateAll((els) => els.map((el) => el.getAttribute('data-ref')));

  test('sign in: a wrong password is refused with the reason; the right one opens the console; sign out', async () => {
    const { page, errors } = await open(PHONE);
    await page.goto(`${base}/incidents`);
    await page.getByLabel('Handle').fill('responder-user');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(await page.getByRole('alert').innerText(), 'Wrong handle or password');
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0);

    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor();
    await waitForLive(page, 'connected', /Live/);
    await noSidewaysScroll(page);
    // Keyboard first: the first Tab reaches the skip link, with a visible focus ring.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      return { text: el.textContent, outline: getComputedStyle(el).outlineStyle, visible: el.getBoundingClientRect().left >= 0 };
    });
    assert.deepEqual(focused, { text: 'Skip to content', outline: 'solid', visible: true });
    // The session is a cookie the page cannot read.
    assert.equal(await page.evaluate(() => document.cookie), '');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(await page.getByRole('status').first().innerText(), /signed out/);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('the first-run admin sets a new password before anything else', async () => {
    await createUser(env.ctx(env.users.admin.actor), { handle: 'first-admin', name: 'First admin', email: 'first@example.com', role: 'admin', password: 'printed once on first start' }, { mustChangePassword: true });
    const { page, errors } = await open(PHONE);
    await signInExpectingPasswordChange(page);
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'nothing else before the new password');
    await page.getByLabel('New password (at least 12 characters)').fill('short');
    await page.getByLabel('New password again').fill('short');
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    assert.match(await page.getByRole('alert').innerText(), /at least 12 characters/);
    await page.getByLabel('New password (at least 12 characters)').fill('a much better passphrase');
    await page.getByLabel('New password again').fill('a much better passphrase');
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor();
    // A reload stays signed in and is not asked again.
    await page.reload();
    await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor();
    assert.deepEqual(errors, []);

    async function signInExpectingPasswordChange(p: Page) {
      await p.goto(`${base}/`);
      await p.getByLabel('Handle').fill('first-admin');
      await p.getByLabel('Password', { exact: true }).fill('printed once on first start');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { name: 'Set a new password' }).waitFor();
    }
  });

  test('incident list: counts, what needs attention first, filters in the URL, resolved ones a page at a time', async () => {
    // Open incidents of every kind, triggered at different times, and 30 resolved ones days ago.
    const ctx = () => env.ctx(env.users.responder.actor);
    const at = async <T,>(ago: number, fn: () => Promise<T>) => {
      env.clock.set(Date.now() - ago);
      return fn();
    };
    for (let n = 0; n < 30; n++) {
      const i = await at((30 - n) * 24 * 60 * MIN, () => createIncident(ctx(), { title: `Help centre search slow (${n + 1})`, severity: 'P3', services: ['docs'] }));
      await at((30 - n) * 24 * 60 * MIN - 20 * MIN, () => transitionIncident(ctx(), i.ref, 'resolve'));
    }
    const p2 = await at(180 * MIN, () => createIncident(ctx(), { title: 'Reports export times out', severity: 'P2', services: ['reporting'] }));
    await at(170 * MIN, () => transitionIncident(ctx(), p2.ref, 'acknowledge'));
    const p3 = await at(120 * MIN, () => createIncident(ctx(), { title: 'Typo on the invoice page', severity: 'P3', services: ['web'] }));
    const p0new = await at(60 * MIN, () => createIncident(ctx(), { title: 'Sign-in fails for every user', severity: 'P0', services: ['auth'] }));
    const p1 = await at(30 * MIN, () => createIncident(ctx(), { title: 'Work orders save slowly', severity: 'P1', services: ['work-orders'] }));
    await at(25 * MIN, () => transitionIncident(ctx(), p1.ref, 'investigate'));
    const p0ack = await at(10 * MIN, () => createIncident(ctx(), { title: 'Database primary unreachable', severity: 'P0', services: ['database'], commander: 'admin-user' }));
    await at(8 * MIN, () => transitionIncident(ctx(), p0ack.ref, 'acknowledge'));
    env.clock.set(Date.now());

    const { page, errors } = await open(DESKTOP);
    await signIn(page, 'responder-user');
    const open_ = 'Open incidents';
    await page.getByRole('list', { name: open_ }).waitFor();
    // Unacknowledged first, then by severity, then the oldest.
    assert.deepEqual(await refsIn(page, open_), [p0new.ref, p3.ref, p0ack.ref, p1.ref, p2.ref]);
    const count = (s: string) => page.locator(`.counts button[data-severity="${s}"] .count-n`).innerText();
    assert.deepEqual([await count('P0'), await count('P1'), await count('P2'), await count('P3')], ['2', '1', '1', '1']);
    assert.match(await page.locator('.counts button[data-severity="P0"]').innerText(), /P0 Critical open/);

    await page.screenshot({ path: `${ARTIFACTS}/console-incidents.png`, fullPage: false });
    // The README's pictures change only when asked for: a test run must not dirty the tree.
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(`${ARTIFACTS}/console-incidents.png`, `${ROOT}docs/console-incidents.png`);

    // 25 resolved at first, newest first; "Load more" follows the cursor to the rest.
    const closed = 'Resolved and closed incidents';
    assert.equal((await refsIn(page, closed)).length, 25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="Resolved and closed incidents"] li').length === 30);
    assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0, 'no more pages');

    // Filters go into the URL and survive a reload; the counts stay those of every open incident.
    await page.getByRole('search', { name: 'Filter incidents' }).getByLabel('P0 Critical').check();
    await page.waitForURL(`${base}/incidents?severity=P0`);
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="Open incidents"] li').length === 2);
    await page.getByLabel('Triggered').selectOption('24h');
    await page.waitForURL(`${base}/incidents?severity=P0&period=24h`);
    await page.reload();
    await page.getByRole('list', { name: open_ }).waitFor();
    assert.deepEqual(await refsIn(page, open_), [p0new.ref, p0ack.ref]);
    assert.equal(await page.getByText('No resolved or closed incidents match these filters.').count(), 1);
    assert.ok(await page.getByLabel('P0 Critical').isChecked());
    assert.equal(await page.getByLabel('Triggered').inputValue(), '24h');
    assert.equal(await count('P3'), '1');
    await page.getByLabel('Service').selectOption('database');
    await page.waitForURL(`${base}/incidents?severity=P0&service=database&period=24h`);
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="Open incidents"] li').length === 1);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL(`${base}/incidents`);
    // Back goes to the filtered view again.
    await page.goBack();
    await page.waitForURL(`${base}/incidents?severity=P0&service=database&period=24h`);

    // A phone: everything fits its width.
    await page.setViewportSize(PHONE);
    await page.goto(`${base}/incidents`);
    await page.getByRole('list', { name: open_ }).waitFor();
    await noSidewaysScroll(page);
    await page.screenshot({ path: `${ARTIFACTS}/console-incidents-phone.png` });
    assert.deepEqual(errors, []);
  });

  // The step-by-step test below declares, works and watches one incident from two browsers.
  test('declare, see it live elsewhere, work it, and read each step on the timeline; a viewer cannot act', async () => {
    const a = await open(DESKTOP);
    const v = await open(PHONE);
    await signIn(a.page, 'responder-user', '/incidents/new');
    await signIn(v.page, 'viewer-user');
    await waitForLive(v.page, 'connected', /Live/);
    // The viewer has no way to declare.
    assert.equal(await v.page.getByRole('link', { name: 'Declare' }).count(), 0);
    await v.page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    // Declare: title, services, severity with its definition beside it; then the incident's page.
    const declare = a.page;
    await declare.getByRole('heading', { name: 'Declare an incident' }).waitFor();
    assert.ok(await declare.getByText('Complete loss of service or security incident').isVisible(), 'P0 definition from /severities');
    await declare.screenshot({ path: `${ARTIFACTS}/console-declare.png`, fullPage: true });
    await declare.getByLabel('What is wrong?').fill('Checkout returns 500 for card payments');
    await declare.getByLabel(/^Checkout \(checkout/).check();
    await declare.getByLabel(/^API services \(api/).check();
    await declare.getByLabel(/^P2 Medium/).check();
    const started = Date.now();
    await declare.getByRole('button', { name: 'Declare incident' }).click();
    await declare.waitForURL(/\/incidents\/INC-\d+$/);
    const ref = declare.url().split('/').pop()!;
    await declare.getByRole('heading', { name: `${ref} Checkout returns 500 for card payments` }).waitFor();
    assert.ok(Date.now() - started < 5000);
    const state = (p: Page) => p.locator('.inc-badges .state').innerText();
    const severity = (p: Page) => p.locator('.inc-badges .sev').innerText();
    assert.equal(await state(declare), 'Triggered');
    assert.equal(await severity(declare), 'P2 Medium');
    assert.match(await declare.locator(".facts").innerText(), /Services\s+api, checkout/i);

    // The viewer's list shows it without a reload.
    await v.page.locator(`li[data-ref="${ref}"]`).waitFor();
    assert.equal(await v.page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');
    // Triggered, so before every acknowledged one; after the triggered P0 of the list test.
    assert.equal((await refsIn(v.page, 'Open incidents')).indexOf(ref), 1);

    // The viewer opens it: no actions, and the server refuses one sent anyway.
    await v.page.locator(`li[data-ref="${ref}"] a`).click();
    await v.page.waitForURL(`${base}/incidents/${ref}`);
    await v.page.getByRole('heading', { name: 'Timeline' }).waitFor();
    assert.equal(await v.page.getByRole('button', { name: 'Acknowledge' }).count(), 0);
    assert.equal(await v.page.getByRole('button', { name: 'Resolve' }).count(), 0);
    assert.equal(await v.page.getByLabel('Note (for the timeline)').count(), 0);
    assert.ok(await v.page.getByText('acting on it needs the responder role').isVisible());
    const refused = await v.page.evaluate(async (r) => {
      const res = await fetch(`/api/v1/incidents/${r}/acknowledge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { status: res.status, code: (await res.json()).error.code };
    }, ref);
    assert.deepEqual(refused, { status: 403, code: 'FORBIDDEN' });
    await v.page.keyboard.press('a');

    // `n` puts the cursor in the note box; typing there (an "a" too) does not acknowledge.
    await declare.locator('h1').click();
    await declare.keyboard.press('n');
    assert.equal(await declare.evaluate(() => document.activeElement?.id), 'note-body');
    await declare.keyboard.type('a first look: card API errors since 02:10');
    await declare.waitForTimeout(300);
    assert.equal(await state(declare), 'Triggered');
    // Two clicks before the page can re-render still add one note.
    await declare.evaluate(() => {
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Add note')!;
      button.click();
      button.click();
    });
    await declare.getByRole('status').filter({ hasText: 'Note added to the timeline.' }).waitFor();
    await declare.locator('.tl-entry[data-kind="note"]').waitFor();
    assert.equal(await declare.locator('.tl-entry[data-kind="note"]').count(), 1, 'one note, not two');

    // `a` away from any field acknowledges; the viewer's page follows live.
    await declare.locator('h1').click();
    await declare.keyboard.press('a');
    await declare.getByText(`${ref}: Acknowledged: paging stops.`).waitFor();
    assert.equal(await state(declare), 'Acknowledged');
    await v.page.locator('.inc-badges .state', { hasText: 'Acknowledged' }).waitFor();

    // Severity with a reason.
    await declare.getByLabel('Severity', { exact: true }).selectOption('P1');
    await declare.getByLabel('Reason').fill('card payments fail for a third of users');
    await declare.getByRole('button', { name: 'Change severity' }).click();
    await declare.getByText('Severity is now P1 High.').waitFor();
    assert.equal(await severity(declare), 'P1 High');

    // A role, and a refused one shows the server's reason.
    await declare.getByLabel('Role', { exact: true }).selectOption('commander');
    await declare.getByLabel('Person (handle)').fill('nobody-here');
    await declare.getByRole('button', { name: 'Assign' }).click();
    assert.match(await declare.locator('.panel').filter({ hasText: 'Roles' }).getByRole('alert').innerText(), /nobody-here/);
    await declare.getByLabel('Person (handle)').fill('responder-user');
    await declare.getByRole('button', { name: 'Assign' }).click();
    await declare.getByText('responder-user is commander.').waitFor();
    assert.match(await declare.locator('.facts').innerText(), /Commander: responder-user/);

    // A stakeholder update, then resolve.
    await declare.getByLabel(/^Update \(sent to the stakeholder groups/).fill('We are failing over the card API; next update in 30 minutes.');
    await declare.getByRole('button', { name: 'Post update' }).click();
    await declare.getByText('Stakeholder update sent.').waitFor();
    await declare.getByRole('button', { name: 'Resolve' }).click();
    await declare.getByText(`${ref}: Resolved.`).waitFor();
    assert.equal(await state(declare), 'Resolved');
    assert.deepEqual(await declare.getByRole('group', { name: 'Change state' }).getByRole('button').allInnerTexts(), ['Reopen', 'Close']);
    await v.page.locator('.inc-badges .state', { hasText: 'Resolved' }).waitFor();

    // What the paging engine writes (not running here): two deliveries, one failed; they arrive live.
    const row = await findIncidentRow(env.ctx(), ref);
    await recordChange(env.ctx(), row, { kind: 'notification', body: 'Page to responder-user by email: sent', data: { status: 'sent', destination: 'user:responder-user:email' } }, { touch: false });
    await recordChange(env.ctx(), row, { kind: 'notification', body: 'Page to ops-slack: HTTP 500, retrying in 4 s', data: { status: 'failed', destination: 'channel:ops-slack' } }, { touch: false });
    await declare.locator('.tl-entry[data-kind="notification"]').nth(1).waitFor();
    assert.deepEqual(await declare.locator('.tl-entry[data-kind="notification"] .delivery').allInnerTexts(), ['Failed, retrying', 'Delivered']);

    // The timeline, newest first, has every step; the viewer's (live) too.
    const kinds = (p: Page) => p.locator('.tl-entry').evaluateAll((els) => els.map((el) => el.getAttribute('data-kind')));
    const steps = ['resolved', 'stakeholder_update', 'role_assigned', 'severity_changed', 'acknowledged', 'note', 'created'];
    assert.deepEqual((await kinds(declare)).filter((k) => steps.includes(k!)), steps);
    await v.page.waitForFunction((n) => document.querySelectorAll('.tl-entry').length >= n, steps.length);
    assert.deepEqual((await kinds(v.page)).filter((k) => steps.includes(k!)), steps);
    assert.match(await declare.locator('.tl-entry[data-kind="severity_changed"]').innerText(), /P2 → P1: card payments fail for a third of users/);
    // Times in the viewer's zone, UTC on hover.
    assert.match((await declare.locator('.tl-entry time').first().getAttribute('title'))!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

    // Filter by kind: notes and updates only; kept in the URL.
    await declare.getByRole('group', { name: 'Show' }).getByLabel(/^Notes and updates/).check();
    await declare.waitForURL(`${base}/incidents/${ref}?show=notes`);
    assert.deepEqual(await kinds(declare), ['stakeholder_update', 'note']);
    await declare.reload();
    await declare.getByRole('heading', { name: 'Timeline' }).waitFor();
    assert.deepEqual(await kinds(declare), ['stakeholder_update', 'note']);
    await declare.getByRole('group', { name: 'Show' }).getByLabel(/^Notifications/).check();
    await declare.waitForURL(`${base}/incidents/${ref}?show=notes,notifications`);
    assert.deepEqual(await kinds(declare), ['notification', 'notification', 'stakeholder_update', 'note']);
    await declare.getByRole('group', { name: 'Show' }).getByLabel(/^Notes and updates/).uncheck();
    await declare.getByRole('group', { name: 'Show' }).getByLabel(/^Notifications/).uncheck();
    await declare.waitForURL(`${base}/incidents/${ref}`);
    await declare.screenshot({ path: `${ARTIFACTS}/console-incident.png`, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(`${ARTIFACTS}/console-incident.png`, `${ROOT}docs/console-incident.png`);

    // Reopen works too.
    await declare.getByRole('button', { name: 'Reopen' }).click();
    await declare.getByText(`${ref}: Reopened: investigating again.`).waitFor();
    assert.equal(await state(declare), 'Investigating');

    // A responder on a phone: actions above the timeline, nothing wider than the screen.
    await declare.setViewportSize(PHONE);
    await noSidewaysScroll(declare);
    await noSidewaysScroll(v.page);
    await v.page.screenshot({ path: `${ARTIFACTS}/console-incident-phone.png`, fullPage: true });
    assert.deepEqual(a.errors, []);
    assert.deepEqual(v.errors, []);
  });

  test('on call, services and monitors: who is on call now and next, tiers with open incidents, monitor status in words', async () => {
    const { page, errors } = await open(PHONE);
    await signIn(page, 'viewer-user', '/on-call');
    const primary = page.locator('.card').filter({ has: page.getByRole('heading', { name: 'Database primary' }) });
    await primary.waitFor();
    assert.match(await primary.innerText(), /Now\s+\S[\s\S]*\((alice|bob|carol|dana|eve)\)[\s\S]*Next\s+\S/i);
    await noSidewaysScroll(page);

    await page.getByRole('link', { name: 'Services' }).click();
    await page.getByRole('heading', { name: 'Tier p0' }).waitFor();
    const database = page.locator('.card').filter({ has: page.getByRole('heading', { name: /^Primary database/ }) });
    // The list test's P0 on the database is still open.
    assert.match(await database.innerText(), /P0 Critical[\s\S]*Database primary unreachable/);
    const docs = page.locator('.card').filter({ has: page.getByRole('heading', { name: /^Documentation/ }) });
    assert.match(await docs.innerText(), /No open incidents/);
    await noSidewaysScroll(page);

    await page.getByRole('link', { name: 'Monitors' }).click();
    await page.getByRole('heading', { name: 'Monitors', level: 1 }).waitFor();
    await page.locator('.badge.mon').first().waitFor();
    // Monitors are not run in this test: each says so in words.
    assert.ok((await page.locator('.badge.mon').allInnerTexts()).every((t) => t === 'Not checked yet'));
    await noSidewaysScroll(page);
    assert.deepEqual(errors, []);
  });

  test('relative times move on by themselves (every 30 s), with the exact time on hover', async () => {
    const incident = await createIncident(env.ctx(env.users.responder.actor), { title: 'Slow image uploads', severity: 'P3', services: ['storage'] });
    const { context, page, errors } = await open(DESKTOP);
    await context.clock.install();
    await signIn(page, 'viewer-user', `/incidents/${incident.ref}`);
    const detected = page.locator('.facts dd').first().locator('time').first();
    await page.getByRole('heading', { name: `${incident.ref} Slow image uploads` }).waitFor();
    assert.equal(await detected.innerText(), 'just now');
    assert.match((await detected.getAttribute('title'))!, /\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/);
    await context.clock.fastForward('12:00');
    await page.locator('.facts dd time', { hasText: '12 min ago' }).first().waitFor();
    assert.deepEqual(errors, []);
  });

  test('a lost connection shows in words, and the page catches up when it is back', async () => {
    const { context, page, errors } = await open(DESKTOP);
    // The page's own timers on a clock the test can move (it still runs by itself).
    await context.clock.install();
    await signIn(page, 'responder-user');
    await waitForLive(page, 'connected', /^Live$/);

    // The browser goes offline, then comes back.
    await context.setOffline(true);
    await waitForLive(page, 'offline', /^Offline$/);
    await context.setOffline(false);
    await waitForLive(page, 'connected', /^Live$/);

    // The server goes away: reconnecting; an incident declared meanwhile shows once it is back.
    await t.app.close();
    await waitForLive(page, 'reconnecting', /^Reconnecting/);
    assert.notEqual(await liveStatus(page), 'connected');
    const meanwhile = await createIncident(env.ctx(env.users.responder.actor), { title: 'Declared while the console was away', severity: 'P1', services: ['storage'] });
    // Half a minute without the server is no longer a blip: offline, and it stays so while tries fail.
    await context.clock.fastForward('00:31');
    await waitForLive(page, 'offline', /^Offline$/);
    await page.waitForTimeout(2500);
    assert.equal(await liveStatus(page), 'offline');
    await startApp(port);
    await waitForLive(page, 'connected', /^Live$/, 10_000);
    await page.locator(`li[data-ref="${meanwhile.ref}"]`).waitFor();
    assert.deepEqual(errors, []);
  });
});

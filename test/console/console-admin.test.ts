import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { systemClock } from '../../src/lib/clock.ts';
import { ARTIFACTS, browserSkip, DESKTOP, launchBrowser, openPage, PHONE, signInAt } from '../helpers/browser.ts';
import { createTestApp, createTestEnv, TEST_PASSWORD, type TestApp, type TestEnv } from '../helpers/env.ts';
import { configWithMonitors } from '../monitors/monitor-kit.ts';

/**
 * The console's admin, on-call calendar and services graph pages in a real headless Chromium
 * (Debian's), against a real Firebreak on loopback.
 */

const SKIP = browserSkip('admin browser suite');


describe('web console admin, on-call calendar and services graph in headless Chromium', { skip: SKIP, timeout: 60_000 }, () => {
  let env: TestEnv;
  let t: TestApp;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url);
    env.clock.set(Date.now());
    // A probe (not run here) with hourly roll-ups over most of a day (ending an hour ago, so a new
    // hour during the run changes nothing), and the example's heartbeat.
    env.config.current = configWithMonitors([
      { id: 'web-home', name: 'Home page', service: 'web', type: 'http', url: 'http://127.0.0.1:9/', interval: '1m' },
      { id: 'database-backup', name: 'Nightly database backup', service: 'database', type: 'heartbeat', key: 'backup-7c41d9e2a05b4f38', cron: '0 3 * * *', time_zone: 'Europe/Berlin', grace: '1h' },
    ]);
    const hour = 3_600_000;
    const thisHour = Math.floor(Date.now() / hour) * hour;
    await env.db.kysely
      .insertInto('monitor_rollups')
      .values(
        Array.from({ length: 22 }, (_, i) => {
          const p50 = 40 + ((i * 7) % 50);
          return { monitor_id: 'web-home', size: hour, start: thisHour - (i + 2) * hour, checks: 60, failures: i === 5 ? 3 : 0, degraded: 0, duration_sum: 60 * p50, duration_max: p50 * 3, p50, p95: p50 * 2, hist: '0,60' };
        }),
      )
      .execute();
    // Rolled up through this hour (what the roll-up job records), so uptime reads the roll-ups.
    await env.db.kysely
      .insertInto('monitor_rollup_marks')
      .values([
        { size: 60_000, through: thisHour },
        { size: hour, through: thisHour },
      ])
      .execute();
    t = await createTestApp(env, { monitors: false, clock: systemClock });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
  });

  after(async () => {
    await browser?.close();
    await t?.app.close();
    await env?.close();
  });

  async function open(viewport = DESKTOP) {
    // A refused request logs "Failed to load resource"; anything else is a bug.
    return openPage(browser, contexts, viewport, /Failed to load resource|EventSource/);
  }

  const signIn = (page: Page, handle: string, path: string, password = TEST_PASSWORD) => signInAt(page, `${base}${path}`, handle, password);
  const noSidewaysScroll = async (page: Page) => assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= (page.viewportSize()?.width ?? 0), 'no sideways scrolling');
  const statusOf = (page: Page, method: string, path: string, body?: unknown) =>
    page.evaluate(
      async ([m, p, b]) => {
        const res = await fetch(p as string, { method: m as string, headers: b === undefined ? {} : { 'content-type': 'application/json' }, body: b === undefined ? undefined : JSON.stringify(b) });
        return res.status;
      },
      [method, path, body] as const,
    );

  test('an admin adds a user and sees the one-time password once; changes their role, disables them, resets the password', async () => {
    const { page, errors } = await open(PHONE);
    await signIn(page, 'admin-user', '/admin');
    await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Admin' }).getAttribute('aria-current'), 'page');
    await page.locator('li[data-handle="viewer-user"]').waitFor();

    await page.getByLabel('Handle', { exact: true }).fill('new-person');
    await page.getByLabel('Name', { exact: true }).fill('New Person');
    await page.getByLabel('Email').fill('new.person@example.com');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add user' }).click();
    const secret = page.getByRole('region', { name: 'One-time password for new-person' });
    await secret.waitFor();
    const password = await secret.locator('[data-secret]').innerText();
    assert.ok(password.length >= 12, 'a generated password');
    await page.getByText('User new-person created.').waitFor();
    const row = page.locator('li[data-handle="new-person"]');
    assert.match(await row.innerText(), /new-person[\s\S]*viewer[\s\S]*Must set a new password/);
    await noSidewaysScroll(page);
    await page.screenshot({ path: `${ARTIFACTS}/console-admin-phone.png`, fullPage: true });
    // Once: dismissed, it is gone, and a reload does not bring it back.
    await secret.getByRole('button', { name: 'Done, hide it' }).click();
    assert.equal(await page.getByText(password).count(), 0);
    await page.reload();
    await row.waitFor();
    assert.equal(await page.getByText(password).count(), 0);

    // The password works (and must be changed first).
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ handle: 'new-person', password }) });
    assert.equal(login.status, 200);
    assert.equal((await login.json()).password_change_required, true);

    // Role, disable, reset.
    await row.getByLabel('Role for new-person').selectOption('responder');
    await row.getByRole('button', { name: 'Change role' }).click();
    await row.getByText('new-person is now responder.').waitFor();
    await row.getByRole('button', { name: 'Disable new-person' }).click();
    await row.getByText('new-person is disabled.').waitFor();
    assert.match(await row.innerText(), /Disabled/);
    await row.getByRole('button', { name: 'Enable new-person' }).click();
    await row.getByText('new-person is enabled.').waitFor();
    await row.getByRole('button', { name: 'Reset password for new-person' }).click();
    const again = page.getByRole('region', { name: 'New one-time password for new-person' });
    await again.waitFor();
    const second = await again.locator('[data-secret]').innerText();
    assert.ok(second.length >= 12 && second !== password);
    assert.deepEqual(errors, []);
  });

  test('an admin creates a token, sees it once with a copy button, and revokes it; it stops working', async () => {
    const { context, page, errors } = await open(DESKTOP);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await signIn(page, 'admin-user', '/admin');
    await page.getByLabel('Token name').fill('deploy-bot');
    await page.getByLabel('write (act on incidents)').uncheck();
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByRole('region', { name: 'Token deploy-bot' });
    await shown.waitFor();
    const token = await shown.locator('[data-secret]').innerText();
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    const row = page.locator('li[data-token="deploy-bot"]');
    assert.match(await row.innerText(), /deploy-bot[\s\S]*as admin-user[\s\S]*read[\s\S]*Active/);
    assert.ok(!(await row.innerText()).includes(token), 'the list shows a prefix, never the secret');

    const withToken = () => fetch(`${base}/api/v1/incidents`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    assert.equal(await withToken(), 200);
    await row.getByRole('button', { name: 'Revoke deploy-bot' }).click();
    await page.getByText('Token deploy-bot revoked.').waitFor();
    await row.locator('.badge', { hasText: 'Revoked' }).waitFor();
    assert.equal(await withToken(), 401);
    assert.deepEqual(errors, []);
  });

  test('a responder has no Admin, and the server refuses what it offers', async () => {
    const { page, errors } = await open(PHONE);
    await signIn(page, 'responder-user', '/incidents');
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count(), 0);
    await page.goto(`${base}/admin`);
    await page.getByRole('alert').filter({ hasText: 'needs the admin role' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add user' }).count(), 0);
    assert.equal(await statusOf(page, 'GET', '/api/v1/tokens'), 403);
    assert.equal(await statusOf(page, 'POST', '/api/v1/tokens', { name: 'sneaky', scopes: ['read'] }), 403);
    assert.equal(await statusOf(page, 'POST', '/api/v1/users', { handle: 'sneaky', name: 'S', email: 's@example.com' }), 403);
    assert.equal(await statusOf(page, 'PATCH', '/api/v1/users/responder-user', { role: 'admin' }), 403);
    assert.equal(await statusOf(page, 'POST', '/api/v1/users/viewer-user/reset-password'), 403);
    assert.deepEqual(errors, []);
  });

  test('on call: the next two weeks as a calendar with the seeded people; a responder adds an override and cancels it', async () => {
    const { page, errors } = await open(PHONE);
    await signIn(page, 'responder-user', '/on-call');
    const primary = page.locator('.cal-row[data-schedule="database-primary"]');
    await primary.locator('.cal-shift').first().waitFor();
    // The weekly layer: two weeks show at least two of alice, bob and carol, each named in text.
    const people = new Set(await primary.locator('.cal-shift').evaluateAll((els) => els.map((el) => el.getAttribute('data-handle'))));
    assert.ok([...people].filter((h) => ['alice', 'bob', 'carol'].includes(h!)).length >= 2, `people: ${[...people]}`);
    assert.match(await primary.locator('.cal-shift').first().innerText(), /^(alice|bob|carol|dana|eve)\n\1 \(/);
    assert.match(await page.getByRole('list', { name: 'Who is who' }).innerText(), /alice \(Alice Lindqvist\)/);
    assert.ok(await page.locator('.cal-row[data-schedule="database-secondary"] .cal-shift').count() >= 2);
    await noSidewaysScroll(page);
    await page.screenshot({ path: `${ARTIFACTS}/console-oncall-phone.png`, fullPage: true });

    await page.getByLabel('Schedule').selectOption('database-primary');
    await page.getByLabel('Who is on call').selectOption('responder-user');
    await page.getByLabel('Reason').fill('covering for alice at the dentist');
    await page.getByRole('button', { name: 'Add override' }).click();
    await page.getByText(/^responder-user is on call for Database primary from/).waitFor();
    const item = page.getByRole('list', { name: 'Overrides' }).getByRole('listitem').filter({ hasText: 'covering for alice at the dentist' });
    await item.waitFor();
    await primary.locator('.cal-shift.override[data-handle="responder-user"]').first().waitFor();
    await item.getByRole('button', { name: /^Cancel override: responder-user on Database primary/ }).click();
    await page.getByText('Override for responder-user cancelled.').waitFor();
    await item.waitFor({ state: 'detached' });
    await primary.locator('.cal-shift[data-handle="responder-user"]').first().waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  });

  test('services: the dependency graph has a node per service, naming it and its tier, with its dependencies to the right (below on a phone)', async () => {
    const { page, errors } = await open(DESKTOP);
    await signIn(page, 'viewer-user', '/services');
    const graph = page.getByRole('img', { name: 'Service dependency graph' });
    await graph.waitFor();
    const services = await page.evaluate(async () => (await (await fetch('/api/v1/services')).json()).data as { id: string; name: string; tier: string; depends_on: string[] }[]);
    assert.ok(services.length > 3);
    const layout = async () =>
      page.locator('svg.svc-graph g.svc-node').evaluateAll((els) =>
        Object.fromEntries(els.map((el) => [el.getAttribute('data-service'), { text: el.textContent ?? '', box: (el as SVGGraphicsElement).getBoundingClientRect().toJSON() as DOMRect }])),
      );
    const check = async (direction: 'right' | 'down') => {
      const nodes = await layout();
      assert.deepEqual(Object.keys(nodes).sort(), services.map((s) => s.id).sort(), 'a node per service');
      for (const s of services) {
        assert.match(nodes[s.id].text, new RegExp(`tier ${s.tier}`));
        assert.ok(nodes[s.id].text.includes(s.name.slice(0, 15)), `${s.id} named`);
        for (const d of s.depends_on) {
          const [a, b] = [nodes[s.id].box, nodes[d].box];
          if (direction === 'right') assert.ok(b.left >= a.right, `${d} right of ${s.id}`);
          else assert.ok(b.top >= a.bottom, `${d} below ${s.id}`);
        }
      }
      assert.equal(await page.locator('svg.svc-graph path.svc-edge').count(), services.reduce((n, s) => n + s.depends_on.length, 0), 'an arrow per dependency');
    };
    await check('right');
    await page.screenshot({ path: `${ARTIFACTS}/console-services-graph.png` });
    await page.setViewportSize(PHONE);
    await page.locator('svg.svc-graph[data-layout="vertical"]').waitFor();
    await check('down');
    await noSidewaysScroll(page);
    await page.screenshot({ path: `${ARTIFACTS}/console-services-graph-phone.png` });
    assert.deepEqual(errors, []);
  });

  test('monitors: uptime over 24 h, 7 and 30 days in words, and the response times as a small chart', async () => {
    const { page, errors } = await open(PHONE);
    await signIn(page, 'viewer-user', '/monitors');
    const web = page.locator('li[data-monitor="web-home"]');
    const chart = web.getByRole('img', { name: /^Response time of Home page over the last 24 hours: median 40 to 89 ms, 95th percentile up to 178 ms\.$/ });
    await chart.waitFor();
    assert.equal(await chart.locator('polyline').count(), 2);
    const day = web.locator('.uptime [data-period="24h"]');
    await day.waitFor();
    assert.match(await day.innerText(), /^24 H\s+99\.\d\d% up \(3 of 1,320 checks failed\)$/i);
    assert.match(await web.locator('.uptime [data-period="30d"]').innerText(), /% up \(3 of [\d,]+ checks failed\)/);
    // The last 24 hours as blocks, each with its text: 22 hours of checks, the newest hours without.
    const blocks = web.locator('.hour-bar li');
    assert.equal(await blocks.count(), 24);
    const texts = await blocks.allInnerTexts();
    assert.equal(texts.filter((t) => /% up$/.test(t)).length, 22, texts.join(' | '));
    assert.match(texts[23], /no checks$/);
    // A heartbeat with no history: in words, and no chart.
    const backup = page.locator('li[data-monitor="database-backup"]');
    await backup.locator('.uptime').waitFor();
    assert.match(await backup.locator('.uptime').innerText(), /no data yet/);
    assert.equal(await backup.getByRole('img').count(), 0);
    await noSidewaysScroll(page);
    // The services page says how each service's monitors stand.
    await page.goto(`${base}/services`);
    const webCard = page.locator('.card', { has: page.locator('h3', { hasText: '(web)' }) });
    await webCard.waitFor();
    assert.match(await webCard.innerText(), /Monitors: \d of 1 up/);
    await page.screenshot({ path: `${ARTIFACTS}/console-monitors-phone.png`, fullPage: true });
    assert.deepEqual(errors, []);
  });
});

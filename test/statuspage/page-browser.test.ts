import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TONE_COLOURS } from '../../src/modules/statuspage/page-style.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';
import { contrast } from './render-fixtures.ts';
import { API_INCIDENT, DB_INCIDENT, HOSTILE_INCIDENT, MAINTENANCE, seedStatusData } from './render-seed.ts';
import { ARTIFACTS, browserSkip, DESKTOP, launchBrowser, PHONE, ROOT } from '../helpers/browser.ts';

/**
 * The public status page in a real headless Chromium (the Debian package, never a downloaded
 * browser), served by a real Firebreak on loopback, with JavaScript off as many readers have it:
 * the page must be whole, readable at phone width, accessible, and inert to hostile text.
 */

const SKIP = browserSkip('status page browser suite');

/** Colour strings from getComputedStyle ("rgb(1, 2, 3)") as #rrggbb. */
const hex = (rgb: string) => `#${(rgb.match(/\d+/g) ?? []).slice(0, 3).map((n) => Number(n).toString(16).padStart(2, '0')).join('')}`;

/** Each visible text's colour and the first opaque background behind it. */
function textColours(page: Page): Promise<{ text: string; fg: string; bg: string }[]> {
  // No named functions inside: tsx would wrap them in a helper the page does not have.
  return page.evaluate(() => {
    const out: { text: string; fg: string; bg: string }[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const box = el?.getBoundingClientRect();
      // Visually hidden text (the bars' words until hovered) is for screen readers only.
      if (!el || !n.textContent?.trim() || !box || box.width <= 1 || box.height <= 1) continue;
      let bg = 'rgb(255, 255, 255)';
      for (let e: Element | null = el; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor;
        if (c !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(c)) {
          bg = c;
          break;
        }
      }
      out.push({ text: n.textContent.trim().slice(0, 40), fg: getComputedStyle(el).color, bg });
    }
    return out;
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('status page in headless Chromium', { skip: SKIP, timeout: 60_000 }, () => {
  let env: TestEnv;
  let t: TestApp;
  let base: string;
  let browser: Browser;

  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url);
    await seedStatusData(env);
    // Monitors stay off: the example config's targets are not ours to probe.
    t = await createTestApp(env, { statusPageRefreshMs: 100, monitors: false });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    // The page links absolutely to its configured URL: point it at this server.
    env.config.current = { ...env.config.current, status_page: { ...env.config.current.status_page, url: `${base}/status` } };
    // An internal P2 on the checkout service shows as degraded performance once the page syncs.
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: t.auth.token, payload: { title: 'Card payments slow', severity: 'P2', services: ['checkout'] } });
    assert.equal(created.statusCode, 201, created.body);
    await waitFor('component statuses to sync', async () => {
      const html = await (await fetch(`${base}/status`)).text();
      return html.includes('<h4>API</h4><span class="st t-major">Partial outage</span>') && html.includes('<h3>Checkout</h3><span class="st t-minor">Degraded performance</span>');
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await t?.app.close();
    await env?.close();
  });

  /** A page in a fresh context with JavaScript off, recording requests and console errors. */
  async function open(viewport: { width: number; height: number }, path: string, javaScriptEnabled = false) {
    const context: BrowserContext = await browser.newContext({ javaScriptEnabled, viewport });
    const page: Page = await context.newPage();
    page.setDefaultTimeout(5000);
    const requests: string[] = [];
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('dialog', (d) => (dialogs.push(d.message()), void d.dismiss()));
    const res = await page.goto(`${base}${path}`);
    assert.equal(res?.status(), 200);
    return { page, context, requests, errors, dialogs };
  }

  test('phone: whole without JavaScript, accessible, no sideways scrolling, one request', async () => {
    const { page, context, requests, errors } = await open(PHONE, '/status');
    try {
      assert.deepEqual(requests, [`${base}/status`], 'one request: styles inline, no assets, no favicon fetch');
      assert.deepEqual(errors, [], 'no console errors (a blocked style would log one)');
      assert.equal(await page.evaluate(() => document.scripts.length), 0);

      // Landmarks and headings.
      for (const role of ['banner', 'navigation', 'main', 'contentinfo'] as const) assert.ok((await page.getByRole(role).count()) >= 1, role);
      assert.equal(await page.locator('h1').count(), 1);
      assert.match(await page.locator('h1').innerText(), /MaintAInPro/);
      const levels = await page.evaluate(() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map((h) => Number(h.tagName[1])));
      levels.forEach((l, i) => assert.ok(i === 0 || l <= levels[i - 1] + 1, `heading jumps from h${levels[i - 1]} to h${l}`));

      // The banner: words, coloured by the indicator (the inline style passed the CSP), readable.
      const banner = page.locator('.banner');
      assert.equal(await banner.innerText(), 'Partial System Outage');
      const [fg, bg] = await banner.evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]);
      assert.equal(hex(bg), TONE_COLOURS.major);
      assert.ok(contrast(hex(fg), hex(bg)) >= 4.5);

      // Components: each status in words; the hidden-unless-degraded one is absent.
      const statusOf = (name: string) => page.locator('.comp-head').filter({ has: page.getByRole('heading', { name, exact: true }) }).locator('.st');
      assert.equal(await statusOf('API').innerText(), 'Partial outage');
      assert.equal(await statusOf('Checkout').innerText(), 'Degraded performance');
      assert.equal(await statusOf('Database').innerText(), 'Operational');
      assert.equal(await statusOf('Platform').innerText(), 'Partial outage', 'a group shows its worst member');
      assert.equal(await page.locator('#components-h ~ ul').getByText('Email and push notifications').count(), 0);
      // Every piece of visible text meets WCAG AA against what is really behind it.
      const texts = await textColours(page);
      assert.ok(texts.length > 50, `only ${texts.length} texts found`);
      for (const { text, fg, bg } of texts) assert.ok(contrast(hex(fg), hex(bg)) >= 4.5, `"${text}": ${fg} on ${bg}`);

      // The open incident with its latest update, linking to its page.
      const card = page.locator('article').filter({ has: page.getByRole('link', { name: API_INCIDENT.name }) });
      assert.ok(await card.isVisible());
      assert.ok(await card.getByText(API_INCIDENT.identified).isVisible());
      assert.equal(await card.getByRole('link', { name: API_INCIDENT.name }).getAttribute('href'), `${base}/status/incidents/${API_INCIDENT.id}`);
      assert.ok(await page.getByText(MAINTENANCE.name).isVisible(), 'the scheduled maintenance');

      // Uptime bars: seven shown components, 90 days each, the last 30 visible on a phone, each day in words.
      const bars = page.locator('ol.bars');
      assert.equal(await bars.count(), 7);
      assert.equal(await bars.first().locator('li').count(), 90);
      assert.equal(await bars.first().locator('li:visible').count(), 30);
      const database = page.getByRole('list', { name: 'Database: uptime by day, oldest first' });
      const days = await database.locator('li').allTextContents();
      assert.ok(days.every((d) => /^\d{4}-\d{2}-\d{2}: (no data|\d+(\.\d\d)?% uptime)/.test(d)), days[0]);
      assert.ok(days.includes('2026-05-12: 96.87% uptime, 45 min major outage, 1 incident'), 'the outage day says what happened');
      assert.equal(await database.locator('li .b.t-critical').count(), 1);

      // Subscribing without JavaScript: plain forms.
      const email = page.locator('form[method="post"][action="/status/subscribe"]').filter({ has: page.locator('input[name="kind"][value="email"]') });
      assert.ok(await email.getByLabel('Email address').isVisible());
      assert.equal(await email.getByLabel('Email address').getAttribute('type'), 'email');
      assert.equal(await page.locator('form input[name="kind"][value="webhook"]').count(), 1);
      assert.equal(await email.locator('input[name="components"]').count(), 8, 'every leaf component');

      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width, 'no horizontal scrolling');
      await page.screenshot({ path: `${ARTIFACTS}/status-page-phone.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });

  test('desktop: every day of the bars, feeds announced and valid XML', async () => {
    const { page, context } = await open(DESKTOP, '/status');
    try {
      assert.equal(await page.locator('ol.bars').first().locator('li:visible').count(), 90);
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= DESKTOP.width);
      const feeds = await page.locator('link[rel="alternate"]').evaluateAll((els) => els.map((el) => [el.getAttribute('type'), el.getAttribute('href')]));
      assert.deepEqual(feeds, [
        ['application/rss+xml', `${base}/status/history.rss`],
        ['application/atom+xml', `${base}/status/history.atom`],
      ]);
      for (const [, href] of feeds) {
        const res = await fetch(href!);
        assert.equal(res.status, 200);
        const xml = await res.text();
        // The browser's own XML parser is strict: any escaping slip is a parse error.
        const parsed = await page.evaluate((text) => {
          const doc = new DOMParser().parseFromString(text, 'application/xml');
          return { error: doc.querySelector('parsererror')?.textContent ?? null, items: doc.querySelectorAll('item, entry').length };
        }, xml);
        assert.deepEqual(parsed, { error: null, items: 4 }, href!);
      }
      await page.screenshot({ path: `${ARTIFACTS}/status-page-desktop.png`, fullPage: true });
      mkdirSync(`${ROOT}docs`, { recursive: true });
      if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(`${ARTIFACTS}/status-page-desktop.png`, `${ROOT}docs/status-page.png`);
    } finally {
      await context.close();
    }
  });

  test('following links without JavaScript: an incident, its postmortem, the history', async () => {
    const { page, context } = await open(PHONE, '/status');
    try {
      await page.getByRole('link', { name: API_INCIDENT.name }).click();
      await page.waitForURL(`${base}/status/incidents/${API_INCIDENT.id}`);
      assert.equal(await page.locator('h1').innerText(), API_INCIDENT.name);
      const updates = await page.locator('.updates > li').allInnerTexts();
      assert.equal(updates.length, 2);
      assert.match(updates[0], /^Identified · \d+ \w+ 2026, \d\d:\d\d CEST/);
      assert.ok(updates[0].includes(API_INCIDENT.identified) && updates[1].includes(API_INCIDENT.investigating), 'newest first');
      assert.match(await page.locator('.facts').innerText(), /Major impact[\s\S]*API/);
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width);

      await page.getByRole('link', { name: 'History', exact: true }).click();
      await page.waitForURL(`${base}/status/history`);
      assert.equal(await page.locator('h1').innerText(), 'Incident history');
      await page.getByRole('link', { name: DB_INCIDENT.name }).click();
      await page.waitForURL(`${base}/status/incidents/${DB_INCIDENT.id}`);
      const postmortem = page.getByRole('region', { name: 'Postmortem' });
      assert.equal(await postmortem.locator('.body p').count(), 2, 'paragraphs kept');
      assert.ok(await postmortem.getByText('We now alert at 80% disk use.').isVisible());
      for (const { text, fg, bg } of await textColours(page)) assert.ok(contrast(hex(fg), hex(bg)) >= 4.5, `"${text}": ${fg} on ${bg}`);
      await page.getByRole('link', { name: 'Back to current status' }).click();
      await page.waitForURL(`${base}/status`);
    } finally {
      await context.close();
    }
  });

  test('subscribing with the plain form, no JavaScript: the answer is a notice page in the same frame', async () => {
    const { page, context } = await open(PHONE, '/status');
    try {
      const form = page.locator('form').filter({ has: page.locator('input[name="kind"][value="email"]') });
      await form.getByLabel('Email address').fill('reader@example.com');
      await form.getByText('Only some components (optional)').click();
      await form.getByLabel('Platform: API').check();
      await form.getByRole('button', { name: 'Subscribe by email' }).click();
      await page.waitForURL(`${base}/status/subscribe`);
      assert.equal(await page.locator('h1').innerText(), 'Check your email');
      for (const role of ['banner', 'navigation', 'main', 'contentinfo'] as const) assert.ok((await page.getByRole(role).count()) >= 1, role);
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width);
      const row = await env.db.kysely.selectFrom('status_subscribers').select(['kind', 'address', 'components']).executeTakeFirstOrThrow();
      assert.deepEqual({ ...row, components: JSON.parse(row.components ?? 'null') }, { kind: 'email', address: 'reader@example.com', components: ['api'] });
    } finally {
      await context.close();
    }
  });

  test('hostile text stays text, even with JavaScript on', async () => {
    const { page, context, errors, dialogs } = await open(DESKTOP, `/status/incidents/${HOSTILE_INCIDENT.id}`, true);
    try {
      assert.equal(await page.locator('h1').innerText(), HOSTILE_INCIDENT.name);
      assert.ok(await page.getByText(HOSTILE_INCIDENT.body).isVisible());
      assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
      assert.equal(await page.locator('main img, main script').count(), 0);
      assert.deepEqual(dialogs, []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});

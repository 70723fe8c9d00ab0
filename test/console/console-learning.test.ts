import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { systemClock } from '../../src/lib/clock.ts';
import { createIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { submitReport } from '../../src/modules/reports/index.ts';
import { ARTIFACTS, browserSkip, DESKTOP, launchBrowser, openPage, PHONE, ROOT, signInAt } from '../helpers/browser.ts';
import { createTestApp, createTestEnv, TEST_PASSWORD, type TestApp, type TestEnv } from '../helpers/env.ts';

/**
 * The console's side of learning from incidents, in a real headless Chromium against a real
 * Firebreak on loopback: validated resolution (refused with the checks, resolved anyway with a
 * reason, not an incident), postmortems (create, edit, a concurrent edit, blameless hints,
 * status), action items, and the analytics page.
 */

const SKIP = browserSkip('console learning suite');

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('console: resolution, postmortems, action items, analytics', { skip: SKIP, timeout: 120_000 }, () => {
  let env: TestEnv;
  let t: TestApp;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url);
    env.clock.set(Date.now());
    // The real clock: validation's quiet window and relative times are against the browser's own.
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

  // Refused requests (the 404 of "no postmortem yet", the 409s this suite provokes) log "Failed to load resource".
  const open = (viewport = DESKTOP) => openPage(browser, contexts, viewport, /Failed to load resource|EventSource/);

  const signIn = (page: Page, handle: string, path: string) => signInAt(page, `${base}${path}`, handle, TEST_PASSWORD);

  const responder = () => env.ctx(env.users.responder.actor);
  const now = () => {
    env.clock.set(Date.now());
    return responder();
  };
  const state = (page: Page) => page.locator('.inc-badges .state').innerText();
  const noSidewaysScroll = async (page: Page) => assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= (page.viewportSize()?.width ?? 0), 'no sideways scrolling');

  test('resolve: refused with every check in words, resolved anyway with a reason; a false positive resolves as not an incident', async () => {
    const inc = await createIncident(now(), { title: 'API answers 502 for some users', severity: 'P2', services: ['api'] });
    // A user report on the service within the quiet window fails the validation.
    await submitReport(env.ctx(env.users.viewer.actor), { service: 'api', description: 'The app shows a gateway error' });

    const { page, errors } = await open();
    await signIn(page, 'responder-user', `/incidents/${inc.ref}`);
    await page.getByRole('heading', { name: inc.title }).waitFor();
    await page.getByRole('button', { name: 'Resolve', exact: true }).click();
    const checks = page.getByRole('list', { name: 'Resolution checks' });
    await checks.waitFor();
    assert.match(await page.locator('.lifecycle').getByRole('alert').innerText(), new RegExp(`${inc.ref} stays open`));
    assert.match(await checks.locator('[data-check="user_reports"]').innerText(), /^Failed User reports: 1 user report in the last/);
    for (const name of ['health_checks', 'performance', 'alerts']) assert.match(await checks.locator(`[data-check="${name}"]`).innerText(), /^(Passed|Skipped) /);
    assert.equal(await state(page), 'Triggered');
    // The refused validation is on the timeline at once, check by check.
    await page.locator('.tl-entry[data-kind="resolution_validation"]').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/console-resolve-refused.png`, fullPage: false });

    // A rollback, recorded as its own kind of timeline entry with what it changed.
    const mitigation = page.getByRole('form', { name: 'Workaround or rollback' });
    await mitigation.getByLabel('A rollback').check();
    await mitigation.getByLabel('What it did').fill('Rolled the gateway back to the previous release');
    await mitigation.getByLabel(/^What it changed/).fill('deploy 4471');
    await mitigation.getByRole('button', { name: 'Record rollback' }).click();
    await page.getByText('Rollback recorded.').waitFor();
    await page.locator('.tl-entry[data-kind="rollback"]').waitFor();
    assert.match(await page.locator('.tl-entry[data-kind="rollback"]').innerText(), /Rolled the gateway back to the previous release/);

    // The reason is required, at least 10 characters.
    const anyway = page.getByRole('button', { name: 'Resolve anyway' });
    assert.equal(await anyway.isDisabled(), true);
    await page.getByLabel(/^Reason for resolving anyway/).fill('too short');
    assert.equal(await anyway.isDisabled(), true);
    await page.getByLabel(/^Reason for resolving anyway/).fill('The reports are from before the fix; error rate is back to zero.');
    await anyway.click();
    await page.getByText(`${inc.ref}: Resolved anyway; the reason is on the timeline.`).waitFor();
    assert.equal(await state(page), 'Resolved');
    assert.equal(await page.getByRole('list', { name: 'Resolution checks' }).count(), 0, 'the refusal goes once resolved');

    // The timeline: both validations (failed twice: refused, then overridden) and the override, readable.
    await page.locator('.tl-entry[data-kind="resolution_override"]').waitFor();
    assert.match(await page.locator('.tl-entry[data-kind="resolution_override"]').innerText(), /Resolved despite failed checks[\s\S]*user_reports\): The reports are from before the fix/);
    const validation = page.locator('.tl-entry[data-kind="resolution_validation"]').first();
    assert.match(await validation.innerText(), /Resolution checks[\s\S]*Failed \(the latest recorded check results\)[\s\S]*Failed User reports/);
    assert.equal(await validation.getByRole('list', { name: 'Checks' }).locator(':scope > li').count(), 4);
    const row = await env.db.kysely.selectFrom('incidents').select(['resolution']).where('id', '=', inc.id).executeTakeFirstOrThrow();
    assert.equal(row.resolution, 'fixed');

    // A false positive: no checks, resolved as not an incident.
    const fp = await createIncident(now(), { title: 'Disk alarm on a decommissioned host', severity: 'P3', services: ['database'] });
    await page.goto(`${base}/incidents/${fp.ref}`);
    await page.getByRole('heading', { name: fp.title }).waitFor();
    await page.getByRole('button', { name: 'Not an incident (false positive)' }).click();
    await page.getByText(`${fp.ref}: Resolved as not an incident.`).waitFor();
    assert.equal(await state(page), 'Resolved');
    const fpRow = await env.db.kysely.selectFrom('incidents').select(['resolution']).where('id', '=', fp.id).executeTakeFirstOrThrow();
    assert.equal(fpRow.resolution, 'not_an_incident');
    assert.deepEqual(errors, []);
  });

  test('postmortem: created from a resolved incident, edited, a concurrent edit keeps the typed text, a blameless hint, action items, completed', async () => {
    const inc = await createIncident(now(), { title: 'Checkout pool exhausted', severity: 'P1', services: ['api'], commander: 'responder-user' });
    await transitionIncident(responder(), inc.ref, 'acknowledge');
    await transitionIncident(responder(), inc.ref, 'resolve');

    const { page, errors } = await open();
    await signIn(page, 'responder-user', `/incidents/${inc.ref}`);
    const panel = page.locator('section', { has: page.getByRole('heading', { name: 'Postmortem', exact: true }) });
    await panel.getByText('No postmortem yet.').waitFor();
    await panel.getByRole('button', { name: 'Create postmortem' }).click();
    await page.waitForURL(/\/postmortems\/[^/]+$/);
    const pmId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.getByRole('heading', { name: `Postmortem: ${inc.ref} ${inc.title}` }).waitFor();

    // The facts, against the targets.
    const metrics = page.getByRole('table', { name: 'Response times against the targets' });
    assert.equal(await metrics.locator('tbody tr').count(), 4);
    assert.match(await metrics.locator('tr[data-metric="time_to_acknowledge"]').innerText(), /Time to acknowledge\s+\d+ s\s+\d+ min\s+Yes/);
    assert.match(await page.locator('.facts').innerText(), /Customer-facing|Internal/);
    assert.equal(await page.getByRole('link', { name: 'Export Markdown' }).getAttribute('href'), `/api/v1/postmortems/${pmId}/export.md`);

    // Write and save: revision 2; the root cause names a person, which comes back as a hint beside it.
    await page.getByLabel('Summary', { exact: true }).fill('Checkout failed for 20 minutes for a third of users.');
    await page.getByLabel('Root cause', { exact: true }).fill('A config push by responder-user removed the connection pool limit.');
    await page.getByLabel('Technical').fill('No limit check in CI\nPool metrics not alerted');
    await page.getByLabel('Why 1: answer').fill('The pool ran out of connections.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.', { exact: true }).waitFor();
    const rootField = page.locator('.pm-field', { has: page.getByLabel('Root cause', { exact: true }) });
    assert.match(await rootField.locator('.pm-hints').innerText(), /Blameless language: "responder-user"/);
    assert.equal(await page.locator('.pm-hints [data-section="summary"]').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Saved', exact: true }).isDisabled(), true);

    // Someone else saves while this page has unsaved text: the save is refused and the text stays.
    const mine = 'Checkout failed for 20 minutes; card payments were refused.';
    await page.getByLabel('Summary', { exact: true }).fill(mine);
    const current = (await t.app.inject({ method: 'GET', url: `/api/v1/postmortems/${pmId}`, headers: t.auth.admin })).json() as { revision: number };
    const theirs = await t.app.inject({ method: 'PATCH', url: `/api/v1/postmortems/${pmId}`, headers: t.auth.admin, payload: { revision: current.revision, resolution: 'Rolled the config back at 14:20.' } });
    assert.equal(theirs.statusCode, 200, theirs.body);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = page.locator('.pm-form').getByRole('alert');
    await conflict.waitFor();
    assert.match(await conflict.innerText(), /Not saved: someone else saved revision 3 while you were editing revision 2\. Your text is still in the form/);
    assert.equal(await page.getByLabel('Summary', { exact: true }).inputValue(), mine);
    // Loading theirs keeps mine beside it, to take back.
    await page.getByRole('button', { name: 'Load the latest version' }).click();
    await page.getByRole('heading', { name: /Your unsaved text/ }).waitFor();
    assert.equal(await page.getByLabel('Resolution', { exact: true }).inputValue(), 'Rolled the config back at 14:20.');
    assert.equal(await page.getByLabel('Your summary').inputValue(), mine);
    await page.getByRole('button', { name: 'Use my summary' }).click();
    assert.equal(await page.getByLabel('Summary', { exact: true }).inputValue(), mine);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.', { exact: true }).waitFor();
    const saved = (await t.app.inject({ method: 'GET', url: `/api/v1/postmortems/${pmId}`, headers: t.auth.admin })).json() as { revision: number; content: { summary: string; resolution: string; factors: { technical: string[] } } };
    assert.deepEqual([saved.revision, saved.content.summary, saved.content.resolution, saved.content.factors.technical], [4, mine, 'Rolled the config back at 14:20.', ['No limit check in CI', 'Pool metrics not alerted']]);

    // Action items: added, then closed.
    await page.getByLabel('Title').fill('Add a pool limit check to CI');
    await page.getByLabel('Owner (handle, optional)').fill('responder-user');
    await page.getByLabel('Priority', { exact: true }).selectOption('high');
    await page.getByLabel('Tracker link (optional, http or https)').fill('https://tracker.example.com/FB-1');
    await page.getByRole('button', { name: 'Add action item' }).click();
    await page.getByText('Action item “Add a pool limit check to CI” added.').waitFor();
    const item = page.getByRole('list', { name: 'Action items of this incident' }).locator('li').first();
    await item.getByText('High priority').waitFor();
    assert.match(await item.innerText(), /Open[\s\S]*Owner responder-user · due/);
    await item.getByRole('button', { name: 'Change “Add a pool limit check to CI”' }).click();
    await item.getByLabel('Status').selectOption('done');
    await item.getByRole('button', { name: 'Save item' }).click();
    await item.locator('.ai-status', { hasText: 'Done' }).waitFor();
    assert.match(await item.innerText(), /closed/);

    // Status: in review, then completed (the form becomes the record).
    await page.getByRole('button', { name: 'Send for review' }).click();
    await page.getByText('Postmortem is now in review.').waitFor();
    await page.getByRole('button', { name: 'Mark completed' }).click();
    await page.getByText('Postmortem is now completed.').waitFor();
    assert.equal(await page.locator('.inc-badges .pm-status').innerText(), 'Completed');
    await page.getByText('Completed: this is the record.', { exact: false }).waitFor();
    assert.equal(await page.getByLabel('Summary', { exact: true }).isDisabled(), true);
    assert.deepEqual(await page.getByRole('group', { name: 'Change postmortem status' }).getByRole('button').allInnerTexts(), ['Reopen for edits']);
    // Publishing needs a public incident: the server's reason is shown.
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    assert.match(await page.locator('section', { has: page.getByRole('heading', { name: 'Publish to the status page' }) }).getByRole('alert').innerText(), /^Not published: /);
    // Every save is a revision, newest first.
    await page.locator('.pm-revisions li[data-revision="6"]').waitFor();
    assert.match(await page.locator('.pm-revisions li').first().innerText(), /Revision 6 .* completed/);
    await page.screenshot({ path: `${ARTIFACTS}/console-postmortem.png`, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(`${ARTIFACTS}/console-postmortem.png`, `${ROOT}docs/console-postmortem.png`);
    await page.setViewportSize(PHONE);
    await noSidewaysScroll(page);
    await page.setViewportSize(DESKTOP);

    // The lists across incidents, with their filters in the URL.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Postmortems' }).click();
    const pms = page.getByRole('list', { name: 'Postmortems' });
    await pms.locator(`[data-postmortem="${pmId}"]`).waitFor();
    assert.match(await pms.locator(`[data-postmortem="${pmId}"]`).innerText(), /Completed[\s\S]*Checkout pool exhausted[\s\S]*completed/);
    await page.getByLabel('Status').selectOption('draft');
    await page.waitForURL(`${base}/postmortems?status=draft`);
    await page.getByText('No postmortems match these filters.').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Action items' }).click();
    const items = page.getByRole('list', { name: 'Action items' });
    await items.getByText('Add a pool limit check to CI').waitFor();
    assert.match(await items.locator('li').first().innerText(), /Done[\s\S]*High priority[\s\S]*owner responder-user/);
    await page.getByLabel('Overdue only').check();
    await page.waitForURL(`${base}/action-items?overdue=true`);
    await page.getByText('No action items match these filters.').waitFor();

    // The incident's timeline says what happened to its postmortem, and links to it.
    await page.goto(`${base}/incidents/${inc.ref}`);
    await page.locator('.tl-entry[data-kind="postmortem_completed"]').waitFor();
    assert.match(await page.locator('.tl-entry[data-kind="postmortem_created"]').innerText(), /Postmortem created/);
    assert.match(await page.locator('.tl-entry[data-kind="action_item_closed"]').innerText(), /Action item closed/);
    await page.getByRole('link', { name: `Open the postmortem of ${inc.ref}` }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('analytics: response times against targets, quality, the hour-of-week heat map with its table, incident minutes; a CSV', async () => {
    // Incidents over the last three weeks at known hours, acknowledged and resolved.
    const seeded: number[] = [];
    for (let n = 0; n < 6; n++) {
      const start = Date.now() - (n + 1) * 3 * DAY - n * HOUR;
      env.clock.set(start);
      const i = await createIncident(responder(), { title: `Search degraded (${n + 1})`, severity: n % 2 ? 'P2' : 'P1', services: [n % 3 ? 'api' : 'database'] });
      env.clock.set(start + (n + 1) * MIN);
      await transitionIncident(responder(), i.ref, 'acknowledge');
      env.clock.set(start + (20 + 10 * n) * MIN);
      await transitionIncident(responder(), i.ref, 'resolve');
      seeded.push(start);
    }
    env.clock.set(Date.now());
    const total = Number((await env.db.kysely.selectFrom('incidents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    const { page, errors } = await open();
    await signIn(page, 'viewer-user', '/analytics');
    await page.getByRole('heading', { name: 'Analytics', level: 1 }).waitFor();
    const p1 = page.locator('.an-sev-cards [data-severity="P1"]');
    await p1.waitFor();
    assert.match(await p1.locator('h3').innerText(), /P1 High \d+ incidents/);
    assert.match(await p1.locator('[data-kpi="acknowledge"]').innerText(), /Time to acknowledge \(MTTA\)\s+Mean \d+ (s|min)[^·]* · p90 .* · target \d+ min · \d+ of \d+ within target/);
    assert.match(await p1.locator('[data-kpi="resolve"]').innerText(), /Time to resolve \(MTTR\)/);
    const shares = page.locator('section', { has: page.getByRole('heading', { name: 'Share meeting the targets' }) }).getByRole('table');
    assert.match(await shares.locator('tbody tr').first().innerText(), /^P1\s+\S+%/);
    assert.match(await page.locator('.an-kpi[data-kpi="False positives"]').innerText(), /(Meets|Misses) target · target at most/);

    // The heat map: 7 × 24 cells holding every incident start; the same counts as a table.
    const cells = page.locator('.an-heat-grid .an-heat-cell');
    assert.equal(await cells.count(), 7 * 24);
    const counts = (await cells.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-count'))))) as number[];
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      total,
    );
    assert.match(await page.locator('.an-heat figcaption').innerText(), new RegExp(`^${total} incident starts by hour of the week \\(Europe/Berlin\\)\\. Busiest: `));
    // Each seeded start is in its Berlin weekday and hour.
    const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'long', hour: '2-digit', hourCycle: 'h23' });
    const days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
    for (const start of seeded) {
      const parts = berlin.formatToParts(new Date(start));
      const d = days.indexOf(parts.find((p) => p.type === 'weekday')!.value);
      const h = Number(parts.find((p) => p.type === 'hour')!.value);
      assert.ok(counts[d * 24 + h] >= 1, `a start on ${days[d]} at ${h}:00`);
    }
    await page.getByText('The heat map as a table').click();
    const table = page.getByRole('table', { name: 'Incident starts per day of the week and hour' });
    assert.equal(await table.locator('tbody tr').count(), 7);
    assert.equal(await table.locator('thead th').count(), 25);

    // Incident minutes per service, the most first.
    const minutes = page.locator('section', { has: page.getByRole('heading', { name: 'Services with the most incident minutes' }) });
    assert.match(await minutes.locator('li').first().innerText(), /^(api|database): .* over \d+ incidents?$/);
    await page.screenshot({ path: `${ARTIFACTS}/console-analytics.png`, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(`${ARTIFACTS}/console-analytics.png`, `${ROOT}docs/console-analytics.png`);

    // A shorter period is in the URL; its CSV downloads with the session.
    await page.getByLabel('Period', { exact: true }).selectOption('7');
    await page.waitForURL(`${base}/analytics?days=7`);
    const href = await page.getByRole('link', { name: 'response', exact: true }).getAttribute('href');
    assert.match(href!, /^\/api\/v1\/analytics\/response\?from=.*&to=.*&format=csv$/);
    const csv = await page.request.get(`${base}${href}`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /^text\/csv/);
    assert.match((await csv.text()).split('\n')[0], /severity/);

    // On a phone, nothing is wider than the screen (the table scrolls in its own box).
    await page.setViewportSize(PHONE);
    await noSidewaysScroll(page);
    assert.deepEqual(errors, []);
  });
});

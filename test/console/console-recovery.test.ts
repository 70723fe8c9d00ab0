import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { backupsSchema, finishBackups } from '../../src/config/backup-schema.ts';
import type { RunbookInput } from '../../src/config/runbook-schema.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createBackup, verifyBackup, type BackupEnv } from '../../src/modules/backups/index.ts';
import { getDrillRun, startDrill, startDrillLoop } from '../../src/modules/drills/index.ts';
import { recordRecoveryPoint, serviceObjectives } from '../../src/modules/recovery/index.ts';
import { getRun, startRun, type RunbookRunner } from '../../src/modules/runbooks/index.ts';
import { ARTIFACTS, browserSkip, DESKTOP, launchBrowser, openPage, PHONE, ROOT, signInAt } from '../helpers/browser.ts';
import { createTestApp, createTestEnv, TEST_PASSWORD, type TestApp, type TestEnv } from '../helpers/env.ts';
import { KEY_HEX } from '../backups/helpers.ts';
import { flakyApp, liveCtx, liveRunner, markerDatabase, setDrills } from '../drills/kit.ts';
import { configWithMonitors } from '../monitors/monitor-kit.ts';

/**
 * The console's disaster-recovery pages in a real headless Chromium against a real Firebreak on
 * loopback, with a real runbook runner and drill pass: runbooks run (dry and for real) and
 * approved from the console, a drill started from the console and its report, the RTO trend, RPO
 * exposure bars, and the backups list an admin sees.
 */

const SKIP = browserSkip('console recovery suite');

const HEARTBEAT = (id: string, service: string) => ({ id, service, type: 'heartbeat', key: `${id}-key-0123456789abcdef`, period: '1h', recovery_point: true });

describe('console: runbooks, drills, recovery', { skip: SKIP, timeout: 180_000 }, () => {
  let env: TestEnv;
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof flakyApp>>;
  let runner: RunbookRunner;
  let drillLoop: { stop(): Promise<void> };
  let backupEnv: BackupEnv;
  const contexts: BrowserContext[] = [];

  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url);
    app = await flakyApp();
    const markers = markerDatabase(join(env.dir, 'markers.db'));
    // Monitors that report recovery points, Firebreak's backups, then runbooks and drills on top.
    env.config.current = configWithMonitors([HEARTBEAT('web-backup', 'web'), HEARTBEAT('api-backup', 'api'), HEARTBEAT('db-backup', 'database')]);
    env.config.current = { ...env.config.current, backups: finishBackups(backupsSchema.parse({ encryption: { key_env: 'BACKUP_KEY' }, targets: [{ id: 'local', type: 'local', path: join(env.dir, 'backups') }] })) };
    const failover = (id: string, recover: string): RunbookInput => ({
      id,
      name: `Fail the app over (${id})`,
      variables: { app: { required: true } },
      steps: [
        { id: 'break', type: 'http', method: 'POST', url: '${{ vars.app }}/break' },
        { id: 'see-down', type: 'wait_for', http: { url: '${{ vars.app }}/health', expect: { status: 503 } }, interval: '20ms', timeout: '5s' },
        { id: 'recover', type: 'http', method: 'POST', url: `\${{ vars.app }}${recover}` },
        { id: 'verify', type: 'wait_for', http: { url: '${{ vars.app }}/health', expect: { status: 200 } }, interval: '20ms', timeout: '5s' },
      ],
    });
    const drill = (id: string, runbook: string) => ({
      id,
      name: id === 'app-drill' ? 'App failover drill' : 'Broken failover drill',
      runbook,
      service: 'database',
      target: 'staging',
      variables: { app: app.url },
      failure_step: 'break',
      recovered_step: 'verify',
      marker: { connection: 'markers', write: 'insert into drill_markers (at) values (?)', read: 'select max(at) as at from drill_markers' },
      cleanup: [{ id: 'reset', type: 'http', method: 'POST', url: '${{ vars.app }}/cleanup' }],
    });
    setDrills(
      env,
      [
        {
          id: 'check-app',
          name: 'Check the app',
          description: 'Asks the app for its health, then says so.',
          variables: { app: { default: app.url, description: 'where the app listens' } },
          steps: [
            { id: 'health', type: 'http', url: '${{ vars.app }}/health', expect: { status: 200 } },
            { id: 'say', type: 'command', command: ['node', '-e', 'console.log("all good")'] },
          ],
        },
        {
          id: 'promote',
          name: 'Promote with approval',
          steps: [
            { id: 'confirm', type: 'approval', message: 'Promote the replica?' },
            { id: 'after', type: 'http', url: `${app.url}/health` },
          ],
        },
        {
          id: 'needs-file',
          name: 'Needs a file',
          // Fails until the file exists: a failure someone fixes, then resumes.
          steps: [{ id: 'check-file', type: 'command', command: ['node', '-e', `process.exit(require('fs').existsSync(${JSON.stringify(join(env.dir, 'ready'))}) ? 0 : 3)`] }],
        },
        failover('app-failover', '/recover'),
        failover('app-failover-broken', '/fail'),
      ],
      [{ id: 'markers', url: markers.url }],
      { targets: [{ id: 'staging', addresses: ['127.0.0.1'] }], definitions: [drill('app-drill', 'app-failover'), drill('broken-drill', 'app-failover-broken')] },
    );
    const keyEnv = { BACKUP_KEY: KEY_HEX };
    backupEnv = { store: { engine: 'sqlite', file: env.db.location }, dataDir: env.dir, env: keyEnv, version: 'test' };
    // The real clock: runs, drills and relative times are measured against the browser's own.
    t = await createTestApp(env, { monitors: false, clock: systemClock, backups: { dataDir: env.dir, env: keyEnv } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    // What a server runs beside its HTTP app: the runbook runner and the drills pass.
    runner = liveRunner(env);
    runner.start();
    drillLoop = startDrillLoop(liveCtx(env, env.users.admin.actor), createLogger({ level: 'silent' }), 100);
    browser = await launchBrowser();
  });

  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
  });

  after(async () => {
    await browser?.close();
    await drillLoop?.stop();
    await runner?.stop();
    await t?.app.close();
    await app?.close();
    await env?.close();
  });

  // Refused requests (a 403 this suite provokes) log "Failed to load resource".
  const open = (viewport = DESKTOP) => openPage(browser, contexts, viewport, /Failed to load resource|EventSource/);
  const signIn = (page: Page, handle: string, path: string) => signInAt(page, `${base}${path}`, handle, TEST_PASSWORD);
  const noSidewaysScroll = async (page: Page) => assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= (page.viewportSize()?.width ?? 0), 'no sideways scrolling');
  const runStatus = (page: Page) => page.locator('.inc-badges .run-status').getAttribute('data-status');
  const waitForStatus = async (page: Page, status: string) => page.locator(`.inc-badges .run-status[data-status="${status}"]`).waitFor();

  test('runbooks: the list, a dry run shows the plan, a real run shows each step with its output', async () => {
    const { page, errors } = await open();
    await signIn(page, 'responder-user', '/runbooks');
    const list = page.getByRole('list', { name: 'Runbooks' });
    assert.match(await list.locator('[data-runbook="check-app"]').innerText(), /Check the app\s+check-app · version [0-9a-f]{12} · 2 steps · 1 variable/);
    await list.getByRole('link', { name: 'Check the app' }).click();
    await page.getByRole('heading', { name: 'Check the app', level: 1 }).waitFor();
    assert.deepEqual(await page.getByRole('list', { name: 'Steps' }).locator(':scope > li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-step'))), ['health', 'say']);

    // Dry run first (the default): the resolved plan, nothing executed.
    const form = page.getByRole('form', { name: 'Run the runbook' });
    assert.equal(await form.getByRole('checkbox', { name: /Dry run/ }).isChecked(), true);
    await form.getByRole('button', { name: 'Dry run' }).click();
    await page.getByText('Dry run: the plan below; nothing was executed.').waitFor();
    const plan = page.getByRole('list', { name: 'Planned steps' });
    assert.equal(await plan.locator(':scope > li').count(), 2);
    assert.match(await plan.locator('[data-step="health"]').innerText(), new RegExp(`${app.url}/health`.replace(/[./]/g, '\\$&')));
    await page.screenshot({ path: `${ARTIFACTS}/console-runbook-plan.png`, fullPage: true });
    const healthChecks = app.requests.filter((r) => r.url === '/health').length;

    // Then for real, on an incident-less run: the page follows the run to its end.
    await form.getByRole('checkbox', { name: /Dry run/ }).uncheck();
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL(/\/runbook-runs\/[^/]+$/);
    await waitForStatus(page, 'succeeded');
    assert.equal(app.requests.filter((r) => r.url === '/health').length, healthChecks + 1, 'the run made its request');
    const attempts = page.getByRole('list', { name: 'Step attempts' });
    assert.deepEqual(await attempts.locator(':scope > li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-step')} ${li.getAttribute('data-status')}`)), ['health succeeded', 'say succeeded']);
    await attempts.locator('[data-step="say"] summary', { hasText: 'Output' }).click();
    assert.match(await attempts.locator('[data-step="say"] [data-output]').innerText(), /"text": "all good"/);
    assert.match(await attempts.locator('[data-step="say"]').innerText(), /took \d+(\.\d)? (ms|s)/);
    // Both steps on one time axis, with their durations in words.
    assert.equal(await page.locator('.step-tl-row').count(), 2);
    assert.match(await page.locator('.step-tl-row[data-step="say"]').innerText(), /say\s+\d+(\.\d)? (ms|s) · succeeded/);
    await page.screenshot({ path: `${ARTIFACTS}/console-runbook-run.png`, fullPage: true });

    // The runs list has both: the dry run and the run, newest first.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runbooks' }).click();
    const runs = page.getByRole('table', { name: 'Runbook runs' });
    await runs.locator('tbody tr').nth(1).waitFor();
    const rows = await runs.locator('tbody tr').allInnerTexts();
    assert.match(rows[0], /rbr_\S+\s+Succeeded\s+check-app\s+none\s+responder-user/);
    assert.match(rows[1], /\(dry run\)[\s\S]*nothing ran/);
    assert.deepEqual(errors, []);
  });

  test('an approval: the run waits; someone else approves it from the console and it finishes; cancel stops another', async () => {
    const admin = liveCtx(env, env.users.admin.actor);
    const { run } = await startRun(admin, 'promote', {});
    for (let i = 0; i < 100 && (await getRun(admin, run.id)).status !== 'waiting_approval'; i++) await new Promise((r) => setTimeout(r, 20));

    const { page, errors } = await open(PHONE);
    await signIn(page, 'responder-user', `/runbook-runs/${run.id}`);
    await waitForStatus(page, 'waiting_approval');
    assert.match(await page.locator('[data-waiting="confirm"]').innerText(), /Waiting on step confirm: Promote the replica\?/);
    await noSidewaysScroll(page);
    await page.getByLabel('Comment (optional)').fill('replica is caught up');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved confirm.').waitFor();
    await waitForStatus(page, 'succeeded');
    assert.match(await page.getByRole('list', { name: 'Step attempts' }).locator('[data-step="confirm"]').innerText(), /decided by responder-user \(“replica is caught up”\)/);
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0, 'nothing to approve once decided');

    // Another waiting run, cancelled from its page.
    const second = (await startRun(admin, 'promote', {})).run;
    await page.goto(`${base}/runbook-runs/${second.id}`);
    await waitForStatus(page, 'waiting_approval');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByText('Cancelled.').waitFor();
    assert.equal(await runStatus(page), 'cancelled');
    assert.deepEqual(errors, []);

    // The person who started a run cannot approve it: the server's refusal is shown as it said it.
    const third = (await startRun(liveCtx(env, env.users.responder.actor), 'promote', {})).run;
    await page.goto(`${base}/runbook-runs/${third.id}`);
    await waitForStatus(page, 'waiting_approval');
    await page.getByRole('button', { name: 'Approve' }).click();
    assert.match(await page.getByRole('alert').innerText(), /^Not done: Not allowed: /);
    assert.equal(await runStatus(page), 'waiting_approval');
    assert.deepEqual(errors, []);
  });

  test('a failed run shows its error; once the cause is fixed, Resume runs the failed step again', async () => {
    const { run } = await startRun(liveCtx(env, env.users.admin.actor), 'needs-file', {});
    const { page, errors } = await open();
    await signIn(page, 'responder-user', `/runbook-runs/${run.id}`);
    await waitForStatus(page, 'failed');
    const attempts = page.getByRole('list', { name: 'Step attempts' });
    assert.match(await attempts.locator('[data-step="check-file"] [data-error]').innerText(), /exit/i);
    assert.equal(await page.getByRole('button', { name: 'Cancel run' }).count(), 0, 'a failed run is not active');
    writeFileSync(join(env.dir, 'ready'), '');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByText('Resumed: the run goes on from the step it stopped at.').waitFor();
    await waitForStatus(page, 'succeeded');
    assert.deepEqual(await attempts.locator(':scope > li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-step')} ${li.getAttribute('data-status')}`)), ['check-file failed', 'check-file succeeded']);
    assert.deepEqual(errors, []);
  });

  test('drills: started from the console, the report; a failed one; the RTO trend against the objective; the KPIs', async () => {
    const { page, errors } = await open();
    await signIn(page, 'responder-user', '/drills');
    const drills = page.getByRole('list', { name: 'DR KPIs' });
    await drills.waitFor();
    assert.match(await page.locator('[data-drill="app-drill"] [data-last-run]').innerText(), /Never run\./);
    await page.getByRole('button', { name: 'Run the drill App failover drill now' }).click();
    await page.waitForURL(/\/drill-runs\/[^/]+$/);
    // The report follows once the run has ended and the drills pass has measured it.
    await page.getByRole('heading', { name: 'Passed', level: 2 }).waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('.inc-badges .pass').getAttribute('data-passed'), 'true');
    const rto = page.locator('[data-measure="RTO"]');
    assert.match(await rto.innerText(), /RTO\s+\d+(\.\d)? (ms|s)\s+Within the objective of 15 min · from the start of break to the success of verify/);
    assert.match(await page.locator('[data-measure="RPO"]').innerText(), /Within the objective of 1 min/);
    assert.deepEqual(await page.locator('.step-tl').first().locator('.step-tl-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step'))), ['drill-marker-write', 'break', 'see-down', 'recover', 'verify', 'drill-marker-read']);
    assert.match(await page.locator('.step-tl-row[data-step="recover"]').first().innerText(), /recover\s+\d+(\.\d)? (ms|s) · succeeded/);
    assert.equal(await page.locator('[data-cleanup]').getAttribute('data-cleanup'), 'ok');
    assert.match(await page.locator('.step-tl').nth(1).innerText(), /cleanup\/reset/);
    await page.getByText('None: nothing to follow up.').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/console-drill-report.png`, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(`${ARTIFACTS}/console-drill-report.png`, `${ROOT}docs/console-drill-report.png`);

    // A drill whose recovery fails, run through the module: failed, with why and what to follow up.
    const failed = await startDrill(liveCtx(env, env.users.responder.actor), 'broken-drill');
    for (let i = 0; i < 200 && (await getDrillRun(liveCtx(env, env.users.viewer.actor), failed.id)).report === null; i++) await new Promise((r) => setTimeout(r, 50));
    await page.goto(`${base}/drill-runs/${failed.id}`);
    await page.getByRole('heading', { name: 'Failed', level: 2 }).waitFor();
    assert.match(await page.getByRole('list', { name: 'Why it failed' }).innerText(), /step "recover" failed[\s\S]*RTO not measured/);
    assert.ok((await page.getByRole('list', { name: 'Follow-ups' }).locator(':scope > li').count()) >= 2);
    assert.match(await page.locator('[data-measure="RTO"]').innerText(), /not measured/);

    // The passing drill's history: its trend (a green bar under the objective line) and the table.
    await page.goto(`${base}/drills/app-drill`);
    const table = page.getByRole('table', { name: 'Drill runs' });
    await table.locator('tbody tr').first().waitFor();
    assert.match(await table.locator('tbody tr').first().innerText(), /Passed\s+\d+(\.\d)? (ms|s)\s+15 min/);
    assert.equal(await page.locator('.dr-trend svg g[data-tone="ok"]').count(), 1);
    assert.equal(await page.locator('.dr-trend svg .trend-objective').count(), 1);
    assert.match(await page.locator('.dr-trend figcaption').innerText(), /1 within the objective, 1 passed, 0 failed/);
    await page.screenshot({ path: `${ARTIFACTS}/console-drill-history.png`, fullPage: true });
    // The failed drill's bar: RTO not measured (grey), marked ✗.
    await page.goto(`${base}/drills/broken-drill`);
    await page.locator('.dr-trend svg g[data-tone="none"]').waitFor();
    assert.deepEqual(await page.locator('.dr-trend svg g[data-tone="none"] text').allTextContents(), ['n/a', '✗']);
    assert.match(await page.getByRole('table', { name: 'Drill runs' }).locator('tbody tr').first().innerText(), /Failed\s+not measured/);

    // The list and the KPIs: both drills have a last result; database had two drills this month.
    await page.goto(`${base}/drills`);
    await page.locator('[data-drill="broken-drill"] .pass[data-passed="false"]').waitFor();
    assert.match(await page.locator('[data-drill="app-drill"] [data-last-run]').innerText(), /Passed RTO \d+(\.\d)? (ms|s) \(objective 15 min\)/);
    assert.match(await page.locator('[data-kpi="monthly-drills"] [data-service="database"]').innerText(), /database: 1 of 6 months · 2 drills, 1 passed/);
    assert.match(await page.locator('[data-kpi="automation"]').innerText(), /of \d+ runbook steps run by Firebreak/);
    assert.deepEqual(errors, []);
  });

  test('recovery: objectives, and RPO exposure as bars coloured ok, warning and breached', async () => {
    const now = Date.now();
    const rpo = serviceObjectives(env.config.current, 'web').rpo_ms;
    const points = { web: 0.25, api: 0.85, database: 3 };
    for (const [service, share] of Object.entries(points)) {
      await recordRecoveryPoint(env.ctx(), { monitorId: `${service === 'database' ? 'db' : service}-backup`, service, source: 'heartbeat', restorableAt: now - share * rpo, observedAt: now });
    }
    const { page, errors } = await open(PHONE);
    await signIn(page, 'viewer-user', '/recovery');
    const bars = page.getByRole('list', { name: 'RPO exposure per service' });
    await bars.locator('li').nth(2).waitFor();
    assert.deepEqual(await bars.locator(':scope > li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-service')} ${li.getAttribute('data-status')}`)), ['web ok', 'api warning', 'database breached']);
    assert.equal(await bars.locator('[data-service="web"] .an-bar-fill').getAttribute('class'), 'an-bar-fill an-ok');
    assert.equal(await bars.locator('[data-service="api"] .an-bar-fill').getAttribute('class'), 'an-bar-fill an-warn');
    assert.equal(await bars.locator('[data-service="database"] .an-bar-fill').getAttribute('class'), 'an-bar-fill an-bad');
    assert.match(await bars.locator('[data-service="database"]').innerText(), /database: exposure 3 min of 1 min allowed \(\d+%\) Objective breached/);
    const objectives = page.getByRole('table', { name: 'Recovery objectives' });
    assert.match(await objectives.locator('tr[data-service="database"]').innerText(), /database\s+p0\s+transactional\s+15 min \(its tier\)\s+1 min \(its data class\)/);
    // Backups are the server's own data: not shown to a viewer.
    assert.equal(await page.getByRole('heading', { name: "Firebreak's backups" }).count(), 0);
    await noSidewaysScroll(page);
    assert.deepEqual(errors, []);
  });

  test('backups: an admin sees each backup with its manifest facts and last verification, and can start one', async () => {
    const admin = liveCtx(env, env.users.admin.actor);
    const made = await createBackup(admin, backupEnv);
    await verifyBackup(admin, backupEnv, { id: made.manifest.id });

    const { page, errors } = await open();
    await signIn(page, 'admin-user', '/recovery');
    await page.getByRole('heading', { name: "Firebreak's backups" }).waitFor();
    const table = page.getByRole('table', { name: 'Backups in local' });
    const row = table.locator(`tr[data-backup="${made.manifest.id}"]`);
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /complete/);
    assert.match(text, /\d+(\.\d)? (kB|MB) \/ \d+(\.\d)? (B|kB|MB)/);
    assert.match(text, /sqlite-quick_check ok/);
    assert.match(text, new RegExp(`key ${made.manifest.encryption.key_id}`));
    assert.match(text, new RegExp(`plain sha256 ${made.manifest.plaintext.sha256.slice(0, 12)}…`));
    assert.match(text, /restored and checked .* restore took \d+(\.\d)? (ms|s)/);
    assert.equal(await row.locator('[data-verified]').getAttribute('data-verified'), 'ok');
    assert.match(await page.locator('dl[aria-label="Backup status"]').innerText(), /Last verification\s+passed/i);
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.getByText('Backup queued: it runs in the background; refresh to see it.').waitFor();
    const timer = await env.db.kysely.selectFrom('timers').select('due_at').where('kind', '=', 'backups.create').executeTakeFirstOrThrow();
    assert.ok(Number(timer.due_at) <= Date.now());
    await page.getByRole('button', { name: 'Test a restore now' }).click();
    await page.getByText(/Restore test queued/).waitFor();
    const verify = await env.db.kysely.selectFrom('timers').select('due_at').where('kind', '=', 'backups.verify').executeTakeFirstOrThrow();
    assert.ok(Number(verify.due_at) <= Date.now());
    await page.screenshot({ path: `${ARTIFACTS}/console-recovery.png`, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(`${ARTIFACTS}/console-recovery.png`, `${ROOT}docs/console-recovery.png`);
    assert.deepEqual(errors, []);
  });
});

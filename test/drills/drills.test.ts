import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../../src/config/load.ts';
import type { RunbookInput } from '../../src/config/runbook-schema.ts';
import { drillKpis, drillTimerHandlers, ensureDrillTimers, getDrillRun, listDrillRuns, listDrills, settleDrills, startDrill, type DrillReport } from '../../src/modules/drills/index.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createIncident, getIncident } from '../../src/modules/incidents/index.ts';
import { listIncidentActionItems } from '../../src/modules/postmortems/index.ts';
import { SignalProcessor } from '../../src/modules/signals/index.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { evaluateIncidentRules } from '../../src/modules/runbooks/index.ts';
import { AUTOPOST_TIMER, getPublication, statusPageTimerHandlers } from '../../src/modules/statuspage/index.ts';
import { loadStatusInputs } from '../../src/modules/statuspage/component-status.ts';
import { serviceObjectives } from '../../src/modules/recovery/index.ts';
import { runDueTimers } from '../../src/modules/timers/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { flakyApp, liveCtx, liveRunner, markerDatabase, setDrills } from './kit.ts';

const failover = (recoverPath = '/recover', extra: RunbookInput['steps'] = []): RunbookInput => ({
  id: 'app-failover',
  name: 'Fail the app over',
  variables: { app: { required: true } },
  steps: [
    ...extra,
    { id: 'break', type: 'http', method: 'POST', url: '${{ vars.app }}/break' },
    { id: 'see-down', type: 'wait_for', http: { url: '${{ vars.app }}/health', expect: { status: 503 } }, interval: '20ms', timeout: '5s' },
    { id: 'recover', type: 'http', method: 'POST', url: `\${{ vars.app }}${recoverPath}` },
    { id: 'verify', type: 'wait_for', http: { url: '${{ vars.app }}/health', expect: { status: 200 } }, interval: '20ms', timeout: '5s' },
  ],
});

const drill = (app: string, over: Record<string, unknown> = {}) => ({
  id: 'app-drill',
  name: 'App failover drill',
  runbook: 'app-failover',
  service: 'database',
  target: 'staging',
  variables: { app },
  every: '30d',
  marker: { connection: 'markers', write: 'insert into drill_markers (at) values (?)', read: 'select max(at) as at from drill_markers' },
  failure_step: 'break',
  recovered_step: 'verify',
  cleanup: [{ id: 'reset', type: 'http', method: 'POST', url: '${{ vars.app }}/cleanup' }],
  ...over,
});

const TARGETS = [
  { id: 'staging', description: 'the staging app', addresses: ['127.0.0.1'] },
  { id: 'prod', production: true, addresses: ['app.prod.internal'] },
];

for (const { name, skip } of DIALECTS) {
  describe(`drills [${name}]`, { skip }, () => {
    let env: TestEnv;
    let app: Awaited<ReturnType<typeof flakyApp>>;
    let dir: string;
    let markers: ReturnType<typeof markerDatabase>;
    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      app = await flakyApp();
      dir = mkdtempSync(join(tmpdir(), 'firebreak-drills-'));
      markers = markerDatabase(join(dir, 'app.db'));
    });
    after(async () => {
      await app?.close();
      await env?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const responder = () => liveCtx(env, env.users.responder.actor);
    const viewer = () => liveCtx(env, env.users.viewer.actor);

    /** Runs the drill's run to its end and settles the drill. */
    async function runDrill(): Promise<DrillReport & { id: string }> {
      const started = await startDrill(responder(), 'app-drill');
      assert.equal(started.status, 'running');
      const runner = liveRunner(env);
      for (let i = 0; i < 200; i++) {
        await runner.tick();
        await runner.idle();
        if ((await settleDrills(liveCtx(env, env.users.admin.actor))) > 0) break;
      }
      const done = await getDrillRun(viewer(), started.id);
      assert.notEqual(done.status, 'running', 'the drill settled');
      return { ...done.report!, id: started.id };
    }

    test('a drill breaks the app, recovers it, cleans up, and measures RTO and RPO against the objectives', async () => {
      setDrills(env, [failover()], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill(app.url)] });
      const objectives = serviceObjectives(env.config.current, 'database');
      const before = app.state.cleanups;
      const report = await runDrill();
      assert.equal(report.passed, true, report.reasons.join('; '));
      assert.equal(report.run_status, 'succeeded');
      assert.equal(app.state.cleanups, before + 1, 'the cleanup step ran');
      assert.deepEqual(report.cleanup.steps.map((s) => [s.path, s.status]), [['cleanup/reset', 'succeeded']]);
      assert.deepEqual(report.steps.map((s) => s.path), ['drill-marker-write', 'break', 'see-down', 'recover', 'verify', 'drill-marker-read']);
      for (const s of report.steps) assert.ok(s.duration_ms !== null && s.duration_ms >= 0);
      // The recovery takes at least the app's 150 ms; the RTO spans break → verified healthy.
      assert.ok(report.rto.measured_ms! >= 150, `rto ${report.rto.measured_ms}`);
      assert.ok(report.rto.measured_ms! < 5000);
      assert.equal(report.rto.objective_ms, objectives.rto_ms);
      assert.equal(report.rto.met, true);
      assert.equal(report.rto.from_step, 'break');
      assert.equal(report.rto.to_step, 'verify');
      // The drill's own marker survived: the loss window is from its write to the failure.
      assert.ok(report.rpo!.measured_ms! >= 0 && report.rpo!.measured_ms! < 2000, `rpo ${report.rpo!.measured_ms}`);
      assert.equal(report.rpo!.objective_ms, objectives.rpo_ms);
      assert.equal(report.rpo!.surviving_marker_at, report.rpo!.marker_at);
      assert.equal(markers.markers().length, 1);
      assert.deepEqual(report.action_items, []);
      const run = (await listDrillRuns(viewer(), { drill: 'app-drill' })).data[0];
      assert.equal(run.id, report.id);
      assert.equal(run.passed, true);
      assert.equal(run.rto_ms, report.rto.measured_ms);
      assert.equal(run.trigger, 'on_demand');
    });

    test('a failed recovery still cleans up, fails the drill and lists follow-up action items in the report', async () => {
      setDrills(env, [failover('/fail')], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill(app.url)] });
      const before = app.state.cleanups;
      const report = await runDrill();
      assert.equal(report.passed, false);
      assert.equal(report.run_status, 'failed');
      assert.equal(app.state.cleanups, before + 1, 'cleanup ran although a step failed');
      assert.equal(report.cleanup.ok, true);
      assert.equal(report.rto.measured_ms, null);
      assert.match(report.reasons.join('\n'), /the run failed: step "recover" failed/);
      assert.match(report.reasons.join('\n'), /RTO not measured/);
      assert.ok(report.action_items.length >= 2);
      assert.ok(report.action_items.every((a) => a.id === null), 'no incident: the items are listed, not filed');
      const history = (await listDrillRuns(viewer(), { service: 'database' })).data;
      assert.equal(history.length, 2);
      assert.equal(history[0].passed, false, 'newest first');
      assert.equal(history[1].passed, true);
    });

    test('a failing cleanup step fails a drill whose recovery worked', async () => {
      setDrills(env, [failover()], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill(app.url, { cleanup: [{ id: 'tidy', type: 'http', method: 'POST', url: '${{ vars.app }}/fail' }, { id: 'reset', type: 'http', method: 'POST', url: '${{ vars.app }}/cleanup' }] })] });
      const before = app.state.cleanups;
      const report = await runDrill();
      assert.equal(report.run_status, 'succeeded');
      assert.equal(report.rto.met, true);
      assert.equal(report.passed, false);
      assert.equal(report.cleanup.ok, false);
      assert.equal(app.state.cleanups, before + 1, 'the next cleanup step ran after one failed');
      assert.match(report.reasons.join('\n'), /cleanup step "tidy" failed/);
      // The drill remembers what it was started with: changing the config afterwards changes nothing measured.
      const stored = await getDrillRun(viewer(), report.id);
      assert.equal(stored.report!.rto.to_step, 'verify');
      await env.db.kysely.deleteFrom('drill_runs').where('id', '=', report.id).execute();
    });

    test('data lost past the RPO fails the drill; with an incident, action items are filed on it', async () => {
      const objectives = serviceObjectives(env.config.current, 'database');
      // An older marker survives; the break step loses everything written since (the drill's marker too).
      const old = Date.now() - objectives.rpo_ms - 60_000;
      markers.insert(old);
      const lose: RunbookInput['steps'] = [{ id: 'open', type: 'incident', action: 'create', title: 'Drill: app failover', severity: 'P3', services: ['database'] }];
      const rb = failover('/recover', lose);
      rb.steps.splice(2, 0, { id: 'lose-data', type: 'sql', connection: 'markers', query: 'delete from drill_markers where at > ?', params: [old] });
      setDrills(env, [rb], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill(app.url)] });
      const report = await runDrill();
      assert.equal(report.run_status, 'succeeded');
      assert.equal(report.passed, false);
      assert.equal(report.rpo!.surviving_marker_at, new Date(old).toISOString());
      assert.ok(report.rpo!.measured_ms! > objectives.rpo_ms);
      assert.equal(report.rpo!.met, false);
      assert.match(report.reasons.join('\n'), /RPO \d+ ms is over the objective/);
      assert.ok(report.incident);
      assert.ok(report.action_items.length >= 1 && report.action_items.every((a) => a.id !== null));
      const filed = await listIncidentActionItems(liveCtx(env, env.users.viewer.actor), report.incident!);
      assert.ok(filed.data.some((i) => i.title.includes('RPO')));
      const run = await getDrillRun(viewer(), report.id);
      assert.deepEqual(run.action_items, report.action_items.map((a) => a.id));
    });

    test('the drill list shows the last result; KPIs count drills per month, restore tests and automation coverage', async () => {
      const { data } = await listDrills(viewer());
      assert.equal(data.length, 1);
      assert.equal(data[0].last_run?.passed, false);
      assert.equal(data[0].every_ms, 30 * 86_400_000);
      const kpis = await drillKpis(viewer(), { months: 3 });
      assert.equal(kpis.monthly_drills.months.length, 3);
      const db = kpis.monthly_drills.services.find((s) => s.service === 'database')!;
      // The drills ran on the wall clock; the env's manual clock decides "this month".
      assert.equal(db.drills.reduce((a, b) => a + b, 0) >= 0, true);
      assert.equal(kpis.restore_tests.verified, 0);
      assert.equal(kpis.restore_tests.share_passing, null);
      const rb = kpis.automation_coverage.runbooks.find((r) => r.runbook === 'app-failover')!;
      assert.equal(rb.share, 1);
      const live = await drillKpis(liveCtx(env, env.users.viewer.actor), { months: 1 });
      assert.equal(live.monthly_drills.services.find((s) => s.service === 'database')!.drills[0], 3);
      assert.equal(live.monthly_drills.services.find((s) => s.service === 'database')!.passed[0], 1);
    });

    test('a scheduled drill starts from its durable timer and the next one is set', async () => {
      const ctx = env.ctx(env.users.admin.actor);
      await ensureDrillTimers(ctx);
      const timer = await env.db.kysely.selectFrom('timers').selectAll().where('kind', '=', 'drills.run').executeTakeFirst();
      assert.ok(timer, 'a timer for the drill');
      env.clock.set(Math.max(env.clock.now(), Number(timer.due_at)));
      // The drill ran last on the wall clock: its next run is due `every` after that.
      const last = (await listDrillRuns(viewer(), { drill: 'app-drill', limit: 1 })).data[0];
      assert.equal(Number(timer.due_at), Date.parse(last.started_at) + 30 * 86_400_000);
      assert.ok((await runDueTimers(ctx, drillTimerHandlers())) >= 1);
      const scheduled = (await listDrillRuns(viewer(), { drill: 'app-drill' })).data.filter((r) => r.trigger === 'scheduled');
      assert.equal(scheduled.length, 1);
      const next = await env.db.kysely.selectFrom('timers').selectAll().where('kind', '=', 'drills.run').executeTakeFirstOrThrow();
      assert.equal(Number(next.due_at), env.clock.now() + 30 * 86_400_000);
      await liveRunner(env).stop();
    });

    test('a drill pointed at production is refused unless it says production: true', async () => {
      setDrills(env, [failover()], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill('http://app.prod.internal:8080')] });
      await assert.rejects(startDrill(responder(), 'app-drill'), (e: { code?: string; message: string }) => e.code === 'FORBIDDEN' && /points at production target "prod"/.test(e.message));
      setDrills(env, [failover()], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill(app.url, { target: 'prod' })] });
      await assert.rejects(startDrill(responder(), 'app-drill'), (e: { code?: string }) => e.code === 'FORBIDDEN');
      await assert.rejects(startDrill(viewer(), 'app-drill'), (e: { code?: string }) => e.code === 'FORBIDDEN');
      await assert.rejects(startDrill(responder(), 'nope'), (e: { code?: string }) => e.code === 'NOT_FOUND');
    });

    /** Starts the drill and lets a runner (evaluating incident rules as a node does) take it to its end. */
    async function runDrillLive(during: () => Promise<void> = async () => {}): Promise<DrillReport & { id: string }> {
      // A scheduled drill an earlier test queued would break the same app at the same time.
      await env.db.kysely.updateTable('runbook_runs').set({ status: 'cancelled', finished_at: Date.now() }).where('status', '=', 'queued').execute();
      await settleDrills(liveCtx(env, env.users.admin.actor));
      const started = await startDrill(responder(), 'app-drill');
      const runner = liveRunner(env, { rulesEveryMs: 20 });
      runner.start();
      try {
        await during();
        for (let i = 0; i < 500; i++) {
          await settleDrills(liveCtx(env, env.users.admin.actor));
          if ((await getDrillRun(viewer(), started.id)).status !== 'running') break;
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await runner.stop();
      }
      const done = await getDrillRun(viewer(), started.id);
      const steps = await env.db.kysely.selectFrom('runbook_step_runs').select(['step_path', 'status', 'error']).where('run_id', '=', done.run).execute();
      assert.notEqual(done.status, 'running', `the drill settled: ${JSON.stringify(steps)}`);
      return { ...done.report!, id: started.id };
    }

    test('a drill waits for the incident detection opens, joins it, holds the status page; incident rules leave the run to it', async () => {
      const detect: RunbookInput = {
        ...failover(),
        steps: [
          { id: 'break', type: 'http', method: 'POST', url: '${{ vars.app }}/break' },
          { id: 'detect', type: 'wait_for', incident: { service: 'database', min_severity: 'P1' }, interval: '20ms', timeout: '10s' },
          { id: 'recover', type: 'http', method: 'POST', url: '${{ vars.app }}/recover' },
          { id: 'verify', type: 'wait_for', http: { url: '${{ vars.app }}/health', expect: { status: 200 } }, interval: '20ms', timeout: '5s' },
          { id: 'tell-customers', type: 'statuspage', status: 'monitoring', body: 'The app is back on its standby.' },
        ],
      };
      setDrills(env, [detect], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill(app.url)] });
      env.config.current = { ...env.config.current, incident_rules: [{ id: 'db-failover', runbook: 'app-failover', when: { incident: { service: 'database', min_severity: 'P1' } }, variables: { app: 'http://app.prod.internal:8080' }, run: true }] };
      const runsBefore = (await env.db.kysely.selectFrom('runbook_runs').select('id').execute()).length;
      // Open before the drill began: not what the drill waits for.
      const earlier = await createIncident(responder(), { title: 'Database slow', severity: 'P1', services: ['database'] });
      const report = await runDrillLive(async () => {
        // Detection: once the app is broken, an incident opens on its service (here by a responder).
        for (let i = 0; i < 250 && app.state.healthy; i++) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 50));
        await createIncident(responder(), { title: 'App down', severity: 'P0', services: ['database'] });
      });
      env.config.current = { ...env.config.current, incident_rules: [] };
      assert.equal(report.run_status, 'succeeded', report.run_error ?? '');
      assert.notEqual(report.incident, earlier.ref, 'the run joined the incident opened after it started');
      const incident = await getIncident(viewer(), report.incident!);
      assert.equal(incident.title, 'App down');
      const detectStep = (await env.db.kysely.selectFrom('runbook_step_runs').select('outputs').where('step_path', '=', 'detect').orderBy('started_at', 'desc').executeTakeFirstOrThrow()).outputs;
      assert.equal((JSON.parse(detectStep!) as { incident: { ref: string } }).incident.ref, incident.ref);
      // The status page update was held: on the timeline as what it would have said, not published.
      assert.equal((await getPublication(viewer(), incident.ref)).public_incident, null);
      const timeline = await env.db.kysely.selectFrom('incident_timeline').select(['kind', 'body', 'data']).where('incident_id', '=', incident.id).execute();
      assert.ok(timeline.some((e) => e.kind === 'note' && /status page update held/.test(e.body) && /The app is back on its standby/.test(e.body)), 'the held update is on the timeline');
      assert.ok(timeline.some((e) => e.kind === 'note' && /Opened during drill app-drill/.test(e.body)));
      // The drill's incident is marked so (the KPI reports leave it out); the one from before is not.
      const marks = await env.db.kysely.selectFrom('incidents').select(['id', 'drill_run_id']).where('id', 'in', [incident.id, earlier.id]).execute();
      const run = (await getDrillRun(viewer(), report.id)).run;
      assert.deepEqual(Object.fromEntries(marks.map((m) => [m.id, m.drill_run_id])), { [incident.id]: run, [earlier.id]: null });
      // The rule proposed its runbook on both incidents but started nothing: the drill runs it.
      const proposals = await env.db.kysely.selectFrom('incident_timeline').select(['data']).where('kind', '=', 'runbook_proposed').where('incident_id', 'in', [incident.id, earlier.id]).execute();
      assert.equal(proposals.length, 2);
      for (const p of proposals) {
        const data = JSON.parse(p.data ?? '{}') as { run: string | null; drill?: string };
        assert.equal(data.run, null);
        assert.equal(data.drill, 'app-drill');
      }
      assert.equal((await env.db.kysely.selectFrom('runbook_runs').select('id').execute()).length, runsBefore + 1, 'only the drill\'s run');
    });

    test('after the drill, its incident starts no rule\'s run, colours no component and is never posted by itself', async () => {
      const [drillIncident] = await env.db.kysely.selectFrom('incidents').select(['id', 'number']).where('drill_run_id', 'is not', null).where('state', 'not in', ['resolved', 'closed']).execute();
      assert.ok(drillIncident, 'the last test left its drill incident open');
      assert.equal((await getDrillRun(viewer(), (await listDrillRuns(viewer(), { drill: 'app-drill', limit: 1 })).data[0].id)).status === 'running', false, 'no drill runs now');
      const runsBefore = (await env.db.kysely.selectFrom('runbook_runs').select('id').execute()).length;
      env.config.current = { ...env.config.current, incident_rules: [{ id: 'db-failover-later', runbook: 'app-failover', when: { incident: { service: 'database', min_severity: 'P3' } }, variables: { app: 'http://app.prod.internal:8080' }, run: true }] };
      try {
        await evaluateIncidentRules(liveCtx(env, env.users.admin.actor));
      } finally {
        env.config.current = { ...env.config.current, incident_rules: [] };
      }
      const proposal = await env.db.kysely.selectFrom('incident_timeline').select(['body', 'data']).where('kind', '=', 'runbook_proposed').where('incident_id', '=', drillIncident.id).where('body', 'like', '%db-failover-later%').executeTakeFirstOrThrow();
      assert.equal((JSON.parse(proposal.data ?? '{}') as { run: string | null }).run, null);
      assert.match(proposal.body, /not started because the incident is drill app-drill's .*firebreak runbook run app-failover --incident INC-/);
      // Real incidents on the service still start it (the one opened before the drill, say).
      const runs = await env.db.kysely.selectFrom('runbook_runs').select(['id', 'incident_id', 'mode']).execute();
      assert.ok(runs.slice(runsBefore).every((r) => r.incident_id !== drillIncident.id && r.mode === 'run'), JSON.stringify(runs.slice(runsBefore)));
      await env.db.kysely.updateTable('runbook_runs').set({ status: 'cancelled' }).where('status', '=', 'queued').execute();
      // The database component is coloured by the real open incidents only, never by the drill's.
      const severities = async () => (await loadStatusInputs(liveCtx(env, env.users.admin.actor))).serviceSeverity.get('database');
      assert.equal(await severities(), 'P1', 'the P1 opened before the drill');
      // The automatic post finds a drill's incident and leaves it alone.
      await withTransaction(liveCtx(env, env.users.admin.actor), (tx) => statusPageTimerHandlers[AUTOPOST_TIMER](tx, { kind: AUTOPOST_TIMER, subject_id: drillIncident.id, due_at: Date.now(), data: {} }));
      assert.equal((await getPublication(viewer(), `INC-${drillIncident.number}`)).public_incident, null);
    });

    test('with status_page: publish the drill posts its update; an incident a drill creates says it is a drill', async () => {
      const rb: RunbookInput = {
        ...failover(),
        steps: [
          { id: 'open', type: 'incident', action: 'create', title: 'App failover', severity: 'P3', services: ['database'] },
          ...failover().steps,
          { id: 'tell-team', type: 'notify', message: 'The app is on its standby.', users: ['admin-user'] },
          { id: 'tell-customers', type: 'statuspage', status: 'monitoring', body: 'Recovered on the standby.' },
        ],
      };
      // A cleanup step whose condition does not hold is skipped, and that is no failure of the drill.
      const cleanup = [
        { id: 'reset', type: 'http', method: 'POST', url: '${{ vars.app }}/cleanup' },
        { id: 'elsewhere-only', type: 'http', method: 'POST', url: '${{ vars.app }}/fail', when: '$.vars.app == "http://elsewhere"' },
      ];
      setDrills(env, [rb], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill(app.url, { status_page: 'publish', cleanup })] });
      const report = await runDrillLive();
      assert.equal(report.run_status, 'succeeded', report.run_error ?? '');
      assert.deepEqual(report.cleanup.steps.map((c) => [c.path, c.status]), [['cleanup/reset', 'succeeded'], ['cleanup/elsewhere-only', 'skipped']]);
      assert.equal(report.passed, true, report.reasons.join('; '));
      const incident = await getIncident(viewer(), report.incident!);
      assert.equal(incident.title, '[drill] App failover');
      const mark = await env.db.kysely.selectFrom('incidents').select('drill_run_id').where('id', '=', incident.id).executeTakeFirstOrThrow();
      assert.equal(mark.drill_run_id, report.run);
      const told = await env.db.kysely.selectFrom('notifications').select('message').where('incident_id', '=', incident.id).where('key', 'like', 'runbook/%/tell-team/%').execute();
      assert.ok(told.length > 0 && told.every((n) => n.message.includes('[drill app-drill] The app is on its standby.')), JSON.stringify(told));
      const publication = await getPublication(viewer(), incident.ref);
      assert.equal(publication.public_incident?.status, 'monitoring');
    });

    test('a failed drill is a signal into the incident pipeline on its service; the next passing drill resolves it', async () => {
      const signals = new SignalProcessor({ db: env.db, config: env.config, clock: systemClock, logger: createLogger({ level: 'silent' }) });
      signals.start(20);
      const alert = () => env.db.kysely.selectFrom('alerts').select(['status', 'service_id', 'summary', 'incident_id']).where('integration_id', '=', 'firebreak').where('dedup_key', '=', 'recovery/drill/app-drill').executeTakeFirst();
      try {
        setDrills(env, [failover('/fail')], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill(app.url)] });
        const failed = await runDrillLive();
        assert.equal(failed.passed, false);
        await signals.whenIdle();
        for (let i = 0; i < 100 && (await alert())?.status !== 'triggered'; i++) await new Promise((r) => setTimeout(r, 20));
        const firing = await alert();
        assert.equal(firing?.status, 'triggered');
        assert.equal(firing.service_id, 'database');
        assert.match(firing.summary, /Drill app-drill failed: the run failed/);
        assert.ok(firing.incident_id, 'it opened (or joined) an incident');
        setDrills(env, [failover()], [{ id: 'markers', url: markers.url }], { targets: TARGETS, definitions: [drill(app.url)] });
        const passed = await runDrillLive();
        assert.equal(passed.passed, true, passed.reasons.join('; '));
        await signals.whenIdle();
        for (let i = 0; i < 100 && (await alert())?.status !== 'resolved'; i++) await new Promise((r) => setTimeout(r, 20));
        assert.equal((await alert())?.status, 'resolved');
      } finally {
        await signals.stop();
      }
    });
  });
}

describe('drill configuration', () => {
  const base = readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');
  const runbooks = `runbooks:
  connections:
    - { id: markers, url: "sqlite:/tmp/markers.db" }
  definitions:
    - id: app-failover
      name: Fail the app over
      variables: { app: { required: true } }
      steps:
        - { id: break, type: http, method: POST, url: "\${{ vars.app }}/break" }
        - { id: verify, type: http, url: "\${{ vars.app }}/health" }
`;
  const parse = (drills: string) => parseConfigText(`${base}\n${runbooks}\ndrills:\n  targets:\n    - { id: staging, addresses: ["staging.internal"] }\n    - { id: prod, production: true, addresses: ["prod.internal"] }\n  definitions:\n${drills}`, {}, {});
  const messages = (drills: string) => {
    const r = parse(drills);
    return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
  };
  const good = `    - id: app-drill
      runbook: app-failover
      service: database
      target: staging
      variables: { app: "http://staging.internal" }
      every: 30d
      marker: { connection: markers, write: "insert into m values (?)", read: "select max(at) from m" }
      recovered_step: verify
      cleanup:
        - { id: reset, type: http, method: POST, url: "http://staging.internal/reset" }
`;

  test('a valid drill loads with its defaults', () => {
    const r = parse(good);
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.issues));
    const [d] = r.config.drills.definitions;
    assert.equal(d.production, false);
    assert.equal(d.every, 30 * 86_400_000);
    assert.equal(d.cleanup[0].id, 'reset');
  });

  test('a drill without cleanup, or naming what does not exist, is a config error', () => {
    assert.match(messages(good.replace(/      cleanup:\n.*\n/, '')).join('\n'), /cleanup: a drill needs at least one cleanup step/);
    assert.match(messages(good.replace('runbook: app-failover', 'runbook: nope')).join('\n'), /runbook: unknown runbook "nope"/);
    assert.match(messages(good.replace('service: database', 'service: nope')).join('\n'), /service: unknown service "nope"/);
    assert.match(messages(good.replace('recovered_step: verify', 'recovered_step: nope')).join('\n'), /has no step "nope"/);
    assert.match(messages(good.replace('connection: markers', 'connection: nope')).join('\n'), /unknown connection "nope"/);
    assert.match(messages(good.replace('target: staging', 'target: nowhere')).join('\n'), /unknown target "nowhere"/);
  });

  test('a drill against production is a config error unless it says production: true', () => {
    assert.match(messages(good.replace('target: staging', 'target: prod')).join('\n'), /target "prod" is production/);
    assert.match(messages(good.replace('app: "http://staging.internal"', 'app: "http://prod.internal"')).join('\n'), /variable "app" points at production target "prod"/);
    assert.deepEqual(messages(good.replace('target: staging', 'target: prod\n      production: true').replace('app: "http://staging.internal"', 'app: "http://prod.internal"')), []);
  });
});

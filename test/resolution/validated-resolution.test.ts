import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { resolutionTimerHandlers } from '../../src/modules/resolution/index.ts';
import { pipelineTimerHandlers } from '../../src/modules/signals/pipeline-timers.ts';
import { runDueTimers } from '../../src/modules/timers/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { configWithMonitors } from '../monitors/monitor-kit.ts';

/** The api service's health endpoint: healthy, broken, or slow on demand. */
let mode: 'ok' | 'down' | 'slow' = 'ok';
const target = http.createServer((_req, res) => {
  if (mode === 'down') {
    res.statusCode = 503;
    res.end('unavailable');
  } else if (mode === 'slow') setTimeout(() => res.end('ok'), 250);
  else res.end('ok');
});
before(() => new Promise<void>((r) => target.listen(0, '127.0.0.1', r)));
after(() => new Promise<void>((r) => target.close(() => r())));
const url = () => `http://127.0.0.1:${(target.address() as AddressInfo).port}/health`;

/** The example config's events_v2 integration (database service). */
const KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';

for (const { name, skip } of DIALECTS) {
  describe(`validated resolution [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)), {
      // A long interval: only the checks resolving asks for run.
      configure: (e) =>
        (e.config.current = configWithMonitors([
          { id: 'api-health', service: 'api', type: 'http', url: url(), interval: '1d', timeout: '5s', expect: { status: [200], degraded_after: '100ms' } },
          { id: 'api-heartbeat', service: 'api', type: 'heartbeat', key: 'api-heartbeat-0123456789', period: '1h' },
        ])),
    });
    beforeEach(async () => {
      mode = 'ok';
      await resolveOpenIncidents(env);
    });

    const declare = async (body: Record<string, unknown> = {}) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: t.auth.responder, payload: { title: 'API errors', severity: 'P2', services: ['api'], ...body } });
      assert.equal(res.statusCode, 201, res.body);
      return res.json() as { ref: string; id: string };
    };
    const resolve = (ref: string, payload: Record<string, unknown> = {}) => t.app.inject({ method: 'POST', url: `/api/v1/incidents/${ref}/resolve`, headers: t.auth.responder, payload });
    const timeline = async (ref: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${ref}`, headers: t.auth.viewer })).json().timeline as { kind: string; body: string; data: Record<string, any> }[];
    const row = (id: string) => env.db.kysely.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const fireTimers = () => runDueTimers(env.ctx(), { ...pipelineTimerHandlers, ...resolutionTimerHandlers });
    const monitorIt = async (ref: string, note = '') => {
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${ref}/acknowledge`, headers: t.auth.responder, payload: {} })).statusCode, 200);
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${ref}/monitor`, headers: t.auth.responder, payload: note ? { note } : {} });
      assert.equal(res.statusCode, 200, res.body);
    };
    const pingHeartbeat = () => t.app.inject({ method: 'POST', url: '/ping/api-heartbeat-0123456789' });

    test('a failing health check keeps the incident open and says what failed; once it passes, resolve works and the checks are on the timeline', async () => {
      assert.equal((await pingHeartbeat()).statusCode, 200);
      const inc = await declare();
      mode = 'down';
      const refused = await resolve(inc.ref, { note: 'deployed the fix' });
      assert.equal(refused.statusCode, 409, refused.body);
      const error = refused.json().error;
      assert.equal(error.code, 'RESOLUTION_NOT_VALIDATED');
      assert.deepEqual(error.details.failed, ['health_checks']);
      assert.match(error.message, /health checks: 1 of 2 monitors passing; failing: api-health/);
      assert.match(error.message, /override_reason/);
      const health = error.details.checks.find((c: { name: string }) => c.name === 'health_checks');
      assert.deepEqual(
        health.items.map((i: { id: string; ok: boolean }) => [i.id, i.ok]),
        [
          ['api-health', false],
          ['api-heartbeat', true],
        ],
      );
      const still = await row(inc.id);
      assert.equal(still.state, 'triggered');
      assert.equal(still.resolved_at, null);
      let entries = await timeline(inc.ref);
      const failed = entries.filter((e) => e.kind === 'resolution_validation');
      assert.equal(failed.length, 1);
      assert.equal(failed[0].data.passed, false);
      assert.equal(failed[0].data.mode, 'live');
      assert.match(failed[0].body, /✗ health checks: 1 of 2 monitors passing; failing: api-health/);
      assert.match(failed[0].body, /✓ user reports: no user reports in the last 10m/);

      mode = 'ok';
      const ok = await resolve(inc.ref, { note: 'deployed the fix' });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().state, 'resolved');
      const done = await row(inc.id);
      assert.equal(done.resolution, 'fixed');
      entries = await timeline(inc.ref);
      const passed = entries.filter((e) => e.kind === 'resolution_validation').at(-1)!;
      assert.equal(passed.data.passed, true);
      assert.deepEqual(
        passed.data.checks.map((c: { name: string; outcome: string }) => [c.name, c.outcome]),
        [
          ['health_checks', 'passed'],
          ['performance', 'passed'],
          ['alerts', 'passed'],
          ['user_reports', 'passed'],
        ],
      );
      const resolved = entries.find((e) => e.kind === 'resolved')!;
      assert.equal(resolved.data.validated, true);
      // The validation comes before the resolution on the timeline.
      assert.ok(entries.indexOf(passed) < entries.indexOf(resolved));
      // Checks run on demand count like scheduled ones.
      const state = await env.db.kysely.selectFrom('monitor_state').selectAll().where('monitor_id', '=', 'api-health').executeTakeFirstOrThrow();
      assert.equal(state.last_status, 'up');
      assert.equal(Number(state.last_check_at), env.clock.now());
    });

    test('slower than the target fails the performance check; a responder may override with a written reason, which is recorded', async () => {
      await pingHeartbeat();
      const inc = await declare();
      mode = 'slow';
      const refused = await resolve(inc.ref);
      assert.equal(refused.statusCode, 409);
      assert.deepEqual(refused.json().error.details.failed, ['performance']);
      assert.match(refused.json().error.message, /performance: 0 of 1 within target; failing: api-health/);

      const tooShort = await resolve(inc.ref, { override_reason: 'ok' });
      assert.equal(tooShort.statusCode, 400);
      assert.equal(tooShort.json().error.code, 'VALIDATION_FAILED');

      const forced = await resolve(inc.ref, { override_reason: 'latency is the CDN warming up; tracked in OPS-12' });
      assert.equal(forced.statusCode, 200, forced.body);
      assert.equal(forced.json().state, 'resolved');
      const entries = await timeline(inc.ref);
      const override = entries.find((e) => e.kind === 'resolution_override')!;
      assert.equal(override.data.reason, 'latency is the CDN warming up; tracked in OPS-12');
      assert.deepEqual(override.data.failed_checks, ['performance']);
      assert.match(override.body, /Resolved although the validation failed \(performance\): latency is the CDN warming up/);
      assert.equal(entries.find((e) => e.kind === 'resolved')!.data.validated, false);
    });

    test('a user report inside the quiet window fails the validation; after the window it passes', async () => {
      await pingHeartbeat();
      const inc = await declare();
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: t.auth.viewer, payload: { service: 'api', description: 'still getting 500s' } })).statusCode, 201);
      env.clock.advance(5 * 60_000);
      const refused = await resolve(inc.ref);
      assert.equal(refused.statusCode, 409);
      assert.deepEqual(refused.json().error.details.failed, ['user_reports']);
      assert.match(refused.json().error.message, /user reports: 1 user report in the last 10m/);
      env.clock.advance(6 * 60_000);
      await pingHeartbeat();
      assert.equal((await resolve(inc.ref)).statusCode, 200);
    });

    test('an open alert on the service fails the validation', async () => {
      const inc = await declare({ services: ['database'] });
      const sent = await t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: KEY, event_action: 'trigger', dedup_key: 'pg-down', payload: { summary: 'PostgresDown', source: 'db1', severity: 'critical' } } });
      assert.equal(sent.statusCode, 202, sent.body);
      const refused = await resolve(inc.ref);
      assert.equal(refused.statusCode, 409);
      assert.deepEqual(refused.json().error.details.failed, ['alerts']);
      assert.match(refused.json().error.message, /alerts: 1 alert still open: database-monitoring\/pg-down/);
      await t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: KEY, event_action: 'resolve', dedup_key: 'pg-down' } });
      // The alert's own incident (it joined the declared one) now passes.
      const ok = await resolve(inc.ref);
      assert.equal(ok.statusCode, 200, ok.body);
    });

    test('"not an incident" resolves without validating and is kept as a false positive; impossible transitions are refused before any check', async () => {
      const inc = await declare();
      mode = 'down';
      const res = await resolve(inc.ref, { resolution: 'not_an_incident', note: 'test alert from a staging box' });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal((await row(inc.id)).resolution, 'not_an_incident');
      assert.equal((await timeline(inc.ref)).filter((e) => e.kind === 'resolution_validation').length, 0);
      const again = await resolve(inc.ref);
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error.code, 'INVALID_TRANSITION');
      assert.equal((await resolve(inc.ref, { resolution: 'maybe' })).statusCode, 400);
      assert.equal((await resolve(inc.ref, { override_reason: 'x'.repeat(2001) })).statusCode, 400);
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${inc.ref}/resolve`, headers: t.auth.viewer, payload: {} })).statusCode, 403);
    });

    test('monitoring: after the stable period with validation passing the incident resolves by itself; a failure sends it back to investigating', async () => {
      await pingHeartbeat();
      const inc = await declare();
      // A passing check on record: the timer reads the latest results, it does not probe.
      await t.app.inject({ method: 'POST', url: '/api/v1/monitors/api-health/check', headers: t.auth.responder });
      await monitorIt(inc.ref, 'fix deployed, watching');
      const timer = await env.db.kysely.selectFrom('timers').selectAll().where('kind', '=', 'incident.stable_period').where('subject_id', '=', inc.id).executeTakeFirstOrThrow();
      assert.equal(Number(timer.due_at), env.clock.now() + 15 * 60_000);

      env.clock.advance(14 * 60_000);
      assert.equal(await fireTimers(), 0);
      assert.equal((await row(inc.id)).state, 'monitoring');
      env.clock.advance(60_000);
      await pingHeartbeat();
      assert.equal(await fireTimers(), 1);
      const done = await row(inc.id);
      assert.equal(done.state, 'resolved');
      const entries = await timeline(inc.ref);
      const validation = entries.filter((e) => e.kind === 'resolution_validation').at(-1)!;
      assert.equal(validation.data.passed, true);
      assert.equal(validation.data.mode, 'recorded');
      assert.match(entries.find((e) => e.kind === 'resolved')!.body, /stable for 15m in monitoring, validation passed/);

      // Second incident: a user report during monitoring means the fix did not hold.
      const second = await declare({ title: 'API errors again' });
      await monitorIt(second.ref);
      env.clock.advance(10 * 60_000);
      await t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: t.auth.viewer, payload: { service: 'api', description: 'errors again' } });
      env.clock.advance(5 * 60_000);
      await pingHeartbeat();
      assert.equal(await fireTimers(), 1);
      assert.equal((await row(second.id)).state, 'investigating');
      const back = (await timeline(second.ref)).at(-1)!;
      assert.match(back.body, /the fix did not hold: validation failed after 15m in monitoring/);
    });

    test('leaving monitoring cancels the stable period', async () => {
      const inc = await declare();
      await monitorIt(inc.ref);
      await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${inc.ref}/investigate`, headers: t.auth.responder, payload: {} });
      const timers = await env.db.kysely.selectFrom('timers').selectAll().where('kind', '=', 'incident.stable_period').where('subject_id', '=', inc.id).execute();
      assert.equal(timers.length, 0);
    });

    test('an alert firing again within the reopen window reopens its incident (counted) and pages again; after the window it opens a new one', async () => {
      const fire = (key: string) => t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: KEY, event_action: 'trigger', dedup_key: key, payload: { summary: 'PostgresDown', source: 'db1', severity: 'critical' } } });
      const clear = (key: string) => t.app.inject({ method: 'POST', url: '/v2/enqueue', payload: { routing_key: KEY, event_action: 'resolve', dedup_key: key } });
      assert.equal((await fire('pg-flap')).statusCode, 202);
      const first = await env.db.kysely.selectFrom('alerts').select('incident_id').where('dedup_key', '=', 'pg-flap').executeTakeFirstOrThrow();
      const incidentId = first.incident_id!;
      const created = await row(incidentId);
      assert.equal(created.fingerprint, 'database-monitoring/pg-flap');
      await clear('pg-flap');
      assert.equal((await resolve(`INC-${created.number}`)).statusCode, 200);

      env.clock.advance(20 * 60_000);
      assert.equal((await fire('pg-flap')).statusCode, 202);
      const reopened = await row(incidentId);
      assert.equal(reopened.state, 'investigating');
      assert.equal(reopened.reopen_count, 1);
      assert.equal(reopened.resolved_at, null);
      assert.equal(reopened.resolution, null);
      const entries = await timeline(`INC-${created.number}`);
      assert.match(entries.find((e) => e.kind === 'reopened')!.body, /alert pg-flap fired 20m after the incident was resolved: the fix did not hold/);
      assert.ok(entries.some((e) => e.kind === 'renotify' && e.data.reopened === true));
      const alerts = await env.db.kysely.selectFrom('alerts').select(['incident_id', 'status']).where('dedup_key', '=', 'pg-flap').orderBy('first_seen_at').execute();
      assert.deepEqual(
        alerts.map((a) => a.incident_id),
        [incidentId, incidentId],
      );

      await clear('pg-flap');
      assert.equal((await resolve(`INC-${created.number}`)).statusCode, 200);
      env.clock.advance(61 * 60_000);
      await fire('pg-flap');
      const newest = await env.db.kysely.selectFrom('alerts').select('incident_id').where('dedup_key', '=', 'pg-flap').orderBy('first_seen_at', 'desc').executeTakeFirstOrThrow();
      assert.notEqual(newest.incident_id, incidentId);
      assert.equal((await row(incidentId)).reopen_count, 1);
    });

    test('user reports reaching the threshold right after the fix reopen the incident instead of opening another', async () => {
      await pingHeartbeat();
      const inc = await declare({ services: ['web'] });
      assert.equal((await resolve(inc.ref)).statusCode, 200);
      env.clock.advance(11 * 60_000);
      for (const d of ['blank page', 'still blank', 'blank again']) {
        assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: t.auth.viewer, payload: { service: 'web', description: d } })).statusCode, 201);
      }
      const after = await row(inc.id);
      assert.equal(after.state, 'investigating');
      assert.equal(after.reopen_count, 1);
      const open = await env.db.kysely.selectFrom('incidents').select('id').where('state', 'not in', ['resolved', 'closed']).execute();
      assert.deepEqual(
        open.map((o) => o.id),
        [inc.id],
      );
    });
  });
}

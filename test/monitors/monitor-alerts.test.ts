import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordProbeResults } from '../../src/modules/monitors/index.ts';
import type { ProbeResult } from '../../src/modules/monitors/probes/types.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { resolveOpenIncidents, type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { configWithMonitors, degraded, down, up } from './monitor-kit.ts';

const MONITORS = [
  { id: 'web-home', service: 'web', type: 'http', url: 'http://127.0.0.1:9/', severity: 'P1', interval: '1h' },
  { id: 'api-health', service: 'api', type: 'http', url: 'http://127.0.0.1:9/health', depends_on: ['web-home'], interval: '1h' },
  { id: 'auth-tcp', service: 'auth', type: 'tcp', host: '127.0.0.1', port: 9, interval: '1h' },
  { id: 'cache-tcp', service: 'cache', type: 'tcp', host: '127.0.0.1', port: 9, interval: '1h' },
];

for (const { name, skip } of DIALECTS) {
  describe(`monitor state changes become alerts through the pipeline [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    // The runner is off: these tests feed results in directly, with the test clock.
    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)), { app: { monitors: false }, configure: (e) => (e.config.current = configWithMonitors(MONITORS)) });

    const feed = async (monitorId: string, results: ProbeResult[], guard: string | null = null) => {
      for (const result of results) {
        env.clock.advance(1000);
        await recordProbeResults(env.ctx(), [{ monitorId, at: env.clock.now(), result }], { guard });
      }
    };
    const alertsOf = (key: string) => env.db.kysely.selectFrom('alerts').selectAll().where('dedup_key', '=', key).orderBy('first_seen_at').execute();
    const state = (id: string) => env.db.kysely.selectFrom('monitor_state').selectAll().where('monitor_id', '=', id).executeTakeFirstOrThrow();
    const settle = async () => {
      // Signals are applied in the commit that stores them; wait out any round still running.
      for (let i = 0; i < 100; i++) {
        const pending = await env.db.kysely.selectFrom('signals').select('id').where('processed_at', 'is', null).execute();
        if (!pending.length) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    test('three failures page once (an incident on the service at the monitor severity), two successes resolve; one blip pages nobody', async () => {
      await feed('web-home', [up(), up(), down()]);
      await feed('web-home', [up(), down(), down(), up()]);
      await settle();
      assert.equal((await alertsOf('monitor/web-home')).length, 0, 'blips must not page');
      assert.equal((await state('web-home')).status, 'up');

      await feed('web-home', [down('timeout', 'no answer in 10000 ms'), down('timeout', 'no answer in 10000 ms')]);
      await settle();
      assert.equal((await alertsOf('monitor/web-home')).length, 0);
      await feed('web-home', [down('timeout', 'no answer in 10000 ms')]);
      await settle();
      const [alert] = await alertsOf('monitor/web-home');
      assert.ok(alert, 'the third failure pages');
      assert.equal(alert.status, 'triggered');
      assert.equal(alert.integration_id, 'monitors');
      assert.equal(alert.service_id, 'web');
      assert.match(alert.summary, /web-home is down: no answer in 10000 ms/);
      assert.ok(alert.incident_id);
      const incident = await env.db.kysely.selectFrom('incidents').selectAll().where('id', '=', alert.incident_id!).executeTakeFirstOrThrow();
      // The monitor's severity (P1) at least; the example's severity rules raise customer-facing web to P0.
      assert.ok(['P0', 'P1'].includes(incident.severity), incident.severity);
      // The alert's detection time is the first failure of the streak, for MTTD.
      assert.equal(Number(alert.detected_at), Number((await state('web-home')).streak_since));
      const change = await env.db.kysely.selectFrom('monitor_changes').selectAll().where('monitor_id', '=', 'web-home').orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.equal(change.to_status, 'down');
      assert.ok(change.signal_id);

      // Repeated failures do not raise more signals.
      const signalsBefore = (await env.db.kysely.selectFrom('signals').select('id').where('integration_id', '=', 'monitors').execute()).length;
      await feed('web-home', [down(), down(), up()]);
      assert.equal((await env.db.kysely.selectFrom('signals').select('id').where('integration_id', '=', 'monitors').execute()).length, signalsBefore);
      await feed('web-home', [up()]);
      await settle();
      assert.equal((await state('web-home')).status, 'up');
      assert.equal((await alertsOf('monitor/web-home'))[0].status, 'resolved');
      await resolveOpenIncidents(env);
    });

    test("a child's failures while its parent monitor is down are held and noted, and page if the child is still down after the parent recovers", async () => {
      await feed('web-home', [down(), down(), down()]);
      await feed('api-health', [down(), down(), down()]);
      await settle();
      const child = await state('api-health');
      assert.equal(child.status, 'down');
      assert.equal(child.held, 'parent:web-home');
      assert.equal(child.signalled, null);
      assert.equal((await alertsOf('monitor/api-health')).length, 0);
      const change = await env.db.kysely.selectFrom('monitor_changes').selectAll().where('monitor_id', '=', 'api-health').orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.equal(change.held, 'parent:web-home');
      assert.equal(change.signal_id, null);

      await feed('web-home', [up(), up()]);
      await feed('api-health', [down()]);
      await settle();
      assert.equal((await alertsOf('monitor/api-health')).length, 1, 'still down on its own: it pages now');
      assert.equal((await state('api-health')).held, null);
      await feed('api-health', [up(), up()]);
      await resolveOpenIncidents(env);
    });

    test('while Firebreak suspects its own network, failures are held (guard) and page nobody', async () => {
      await feed('auth-tcp', [down(), down(), down()], 'guard');
      await settle();
      assert.equal((await state('auth-tcp')).held, 'guard');
      assert.equal((await alertsOf('monitor/auth-tcp')).length, 0);
      // Recovered before the guard lifted: never paged at all.
      await feed('auth-tcp', [up(), up()], 'guard');
      await feed('auth-tcp', [up()]);
      await settle();
      assert.equal((await alertsOf('monitor/auth-tcp')).length, 0);
      assert.equal((await state('auth-tcp')).status, 'up');
    });

    test('degraded raises a P3 alert of its own key; going down resolves it and fires the down alert', async () => {
      await feed('cache-tcp', [up(), up(), degraded(), degraded(), degraded()]);
      await settle();
      const [warn] = await alertsOf('monitor/cache-tcp/degraded');
      assert.equal(warn.status, 'triggered');
      assert.equal(warn.severity, 'warning');
      await feed('cache-tcp', [down(), down(), down()]);
      await settle();
      assert.equal((await alertsOf('monitor/cache-tcp/degraded'))[0].status, 'resolved');
      assert.equal((await alertsOf('monitor/cache-tcp'))[0].status, 'triggered');
      await feed('cache-tcp', [up(), up()]);
      await settle();
      assert.equal((await alertsOf('monitor/cache-tcp'))[0].status, 'resolved');
      await resolveOpenIncidents(env);
    });

    test('pausing a down monitor resolves its alert and ignores its results; resuming starts it again as new', async () => {
      await feed('auth-tcp', [down(), down(), down()]);
      await settle();
      assert.equal((await alertsOf('monitor/auth-tcp')).at(-1)!.status, 'triggered');
      const paused = await t.app.inject({ method: 'POST', url: '/api/v1/monitors/auth-tcp/pause', headers: t.auth.responder });
      assert.equal(paused.statusCode, 200, paused.body);
      assert.equal(paused.json().status, 'paused');
      assert.equal(paused.json().paused.by, env.users.responder.handle);
      await settle();
      assert.equal((await alertsOf('monitor/auth-tcp')).at(-1)!.status, 'resolved');
      await feed('auth-tcp', [down(), down(), down()]);
      assert.equal((await state('auth-tcp')).status, 'new');
      const again = await t.app.inject({ method: 'POST', url: '/api/v1/monitors/auth-tcp/pause', headers: t.auth.responder });
      assert.equal(again.statusCode, 200, 'pausing twice is harmless');
      const resumed = await t.app.inject({ method: 'POST', url: '/api/v1/monitors/auth-tcp/resume', headers: t.auth.responder });
      assert.equal(resumed.json().status, 'new');
      const audit = await env.db.kysely.selectFrom('audit_log').select('action').where('entity_id', '=', 'auth-tcp').execute();
      assert.deepEqual(audit.map((a) => a.action).sort(), ['monitor.paused', 'monitor.resumed']);
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/monitors/auth-tcp/pause', headers: t.auth.viewer })).statusCode, 403);
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/monitors/nope/pause', headers: t.auth.responder })).statusCode, 404);
      await resolveOpenIncidents(env);
    });

    test('the API lists monitors with their state and shows one with its changes and uptime; results and roll-ups page back', async () => {
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/monitors?service=web', headers: t.auth.viewer });
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(list.json().data.map((m: { id: string }) => m.id), ['web-home']);
      const one = await t.app.inject({ method: 'GET', url: '/api/v1/monitors/web-home', headers: t.auth.viewer });
      const body = one.json();
      assert.equal(body.status, 'up');
      assert.ok(body.changes.length >= 2);
      assert.ok(body.uptime['24h'].checks > 0);
      assert.ok(body.uptime['24h'].uptime < 100);
      const results = await t.app.inject({ method: 'GET', url: '/api/v1/monitors/web-home/results?limit=3', headers: t.auth.viewer });
      assert.equal(results.json().data.length, 3);
      const older = await t.app.inject({ method: 'GET', url: `/api/v1/monitors/web-home/results?limit=3&before=${encodeURIComponent(results.json().data[2].at)}`, headers: t.auth.viewer });
      assert.ok(Date.parse(older.json().data[0].at) < Date.parse(results.json().data[2].at));
      const uptime = await t.app.inject({ method: 'GET', url: '/api/v1/services/web/uptime', headers: t.auth.viewer });
      assert.equal(uptime.statusCode, 200, uptime.body);
      assert.equal(uptime.json().availability_target, 99.99);
      assert.equal(uptime.json().periods['24h'].meets_target, false);
      for (const bad of ['/api/v1/monitors?status=sideways', '/api/v1/monitors/web-home/results?limit=0', '/api/v1/monitors/web-home/rollups?size=week', '/api/v1/monitors/web-home/results?before=yesterday']) {
        const res = await t.app.inject({ method: 'GET', url: bad, headers: t.auth.viewer });
        assert.equal(res.statusCode, 400, `${bad}: ${res.body}`);
        assert.equal(res.json().error.code, 'VALIDATION_FAILED');
      }
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/monitors', headers: t.auth.anonymous })).statusCode, 401);
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth.admin });
      assert.match(metrics.body, /^probe_success\{monitor="web-home",service="web",type="http",reason=""\} 1$/m);
      assert.match(metrics.body, /^probe_http_status_code\{monitor="web-home",service="web",type="http"\} 200$/m);
      assert.match(metrics.body, /^probe_success\{monitor="cache-tcp",service="cache",type="tcp",reason=""\} 1$/m);
    });
  });
}
